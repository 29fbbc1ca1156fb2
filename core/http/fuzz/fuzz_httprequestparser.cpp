// libFuzzer entry point for HttpRequestParser: the input is split into random chunks (sizes
// taken from the input's first bytes) and fed like a socket would, pipelining included.
// Build and run with scripts/fuzz.sh.

#include "http/httprequestparser.h"

#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 4)
        return 0;
    // Header: small limits half the time, so the limit paths are reached often.
    HttpRequestParser::Limits limits;
    if (data[0] & 1) {
        limits.maxRequestLineBytes = 16 + data[1];
        limits.maxHeaderBytes = 16 + data[2] * 2;
        limits.maxHeaderCount = 1 + (data[3] & 15);
        limits.maxBodyBytes = data[3];
    }
    const uint8_t seed = data[0];
    data += 4;
    size -= 4;

    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    HttpRequestParser parser(limits);
    qsizetype pos = 0;
    uint32_t rng = seed * 2654435761u + 1;
    int requests = 0;
    while (pos < input.size()) {
        rng = rng * 1103515245u + 12345u;
        const qsizetype chunk = 1 + qsizetype((rng >> 16) % 64);
        const QByteArrayView view =
            QByteArrayView(input).sliced(pos).first(std::min(chunk, input.size() - pos));
        qsizetype off = 0;
        bool stop = false;
        for (int guard = 0; guard < 10'000; ++guard) {
            const auto r = parser.feed(view.sliced(off));
            check(r.consumed >= 0 && off + r.consumed <= view.size());
            off += r.consumed;
            if (r.status == HttpRequestParser::Status::HeadersComplete) {
                check(parser.headersComplete());
                continue;
            }
            if (r.status == HttpRequestParser::Status::Complete) {
                const HttpRequest req = parser.takeRequest();
                check(req.body.size() <= limits.maxBodyBytes);
                check(req.headers.size() <= limits.maxHeaderCount);
                check(req.target.size() <= limits.maxRequestLineBytes);
                (void)HttpRequest::percentDecoded(req.path);
                (void)HttpRequest::parseUrlEncoded(req.body);
                (void)req.header("Content-Type");
                parser.reset();
                ++requests;
                continue;
            }
            if (r.status == HttpRequestParser::Status::Error) {
                check(parser.error() != HttpRequestParser::Error::None);
                check(HttpRequestParser::statusCodeFor(parser.error()) >= 400);
                stop = true;
            }
            break;
        }
        if (stop)
            break;
        check(off == view.size()); // Incomplete consumes everything it was given
        pos += view.size();
    }
    (void)requests;
    return 0;
}
