// libFuzzer entry point for CgiResponseParser: the input (PHP's STDOUT) is fed in random chunks
// (sizes and the body limit chosen by the input's first bytes) and the result must equal one
// feed of the whole input, on a fresh parser and on a reset() one; the header block is checked
// against what the class documents.
// Build and run with scripts/fuzz.sh.

#include "fastcgi/cgiresponseparser.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "CHECK failed at line %d: %s\n", __LINE__, #cond);                \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace {

using Status = CgiResponseParser::Status;

bool isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

// Feeds `input` in chunks from `seed` (0: all at once); returns the status finish() gave.
Status run(CgiResponseParser &parser, QByteArrayView input, uint32_t seed, qsizetype maxChunk) {
    uint32_t rng = seed * 2654435761u + 1;
    qsizetype pos = 0;
    Status last = Status::Incomplete;
    bool sawOk = false;
    bool sawError = false;
    while (pos < input.size()) {
        rng = rng * 1103515245u + 12345u;
        const qsizetype chunk =
            seed == 0 ? input.size()
                      : std::min(1 + qsizetype((rng >> 16) % maxChunk), input.size() - pos);
        last = parser.feed(input.sliced(pos, chunk));
        pos += chunk;
        // Error is sticky; once the head is complete every later feed is Ok.
        if (sawError)
            CHECK(last == Status::Error);
        if (sawOk)
            CHECK(last == Status::Ok);
        sawError = sawError || last == Status::Error;
        sawOk = sawOk || last == Status::Ok;
        CHECK((last == Status::Ok) == parser.headersComplete());
        CHECK((last == Status::Error) == !parser.errorString().isEmpty());
    }
    const Status finished = parser.finish();
    if (last == Status::Error)
        CHECK(finished == Status::Error);
    CHECK((finished == Status::Ok) == parser.headersComplete());
    CHECK((finished == Status::Error) == !parser.errorString().isEmpty());
    CHECK(parser.finish() == finished); // and stays so
    return finished;
}

void checkHead(const CgiResponseParser &parser, qint64 maxBodyBytes) {
    CHECK(parser.status() >= 100 && parser.status() <= 999);
    CHECK(parser.body().size() <= maxBodyBytes);
    if (!parser.headersComplete())
        CHECK(parser.body().isEmpty());
    qsizetype headerBytes = 0;
    bool location = false;
    for (const auto &[name, value] : parser.headers()) {
        CHECK(!name.isEmpty() && std::all_of(name.begin(), name.end(), isTokenChar));
        CHECK(name.compare("Status", Qt::CaseInsensitive) != 0);
        for (const char c : value)
            CHECK(!((uchar(c) < 0x20 && c != '\t') || c == 0x7f));
        CHECK(value.isEmpty() || (value.front() != ' ' && value.front() != '\t' &&
                                  value.back() != ' ' && value.back() != '\t'));
        headerBytes += name.size() + 1 + value.size() + 1;
        location = location || name.compare("Location", Qt::CaseInsensitive) == 0;
    }
    CHECK(headerBytes <= CgiResponseParser::maxHeaderBytes());
    if (parser.headersComplete() && location && parser.status() == 200)
        CHECK(false); // a Location with no Status is a 302
}

bool sameResult(const CgiResponseParser &a, const CgiResponseParser &b) {
    return a.headersComplete() == b.headersComplete() &&
           a.errorString().isEmpty() == b.errorString().isEmpty() && a.status() == b.status() &&
           a.reason() == b.reason() && a.contentType() == b.contentType() &&
           a.headers() == b.headers() && a.body() == b.body() &&
           a.bodyTruncated() == b.bodyTruncated();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    // Header: byte 0 seeds the chunking, byte 1 bounds the chunk size, byte 2 the body limit
    // (unlimited half the time).
    const uint32_t seed = data[0] + 1u;
    const qsizetype maxChunk = 1 + data[1];
    const qint64 maxBodyBytes =
        data[2] & 1 ? qint64(data[2] >> 1) : std::numeric_limits<qint64>::max();
    const QByteArrayView input(reinterpret_cast<const char *>(data + 3), qsizetype(size - 3));

    CgiResponseParser whole(maxBodyBytes);
    const Status wholeStatus = run(whole, input, 0, 0);
    checkHead(whole, maxBodyBytes);

    CgiResponseParser chunked(maxBodyBytes);
    CHECK(run(chunked, input, seed, maxChunk) == wholeStatus);
    checkHead(chunked, maxBodyBytes);
    CHECK(sameResult(whole, chunked));

    if (wholeStatus == Status::Ok) {
        // The body is the input's tail; truncated means cut at exactly the limit.
        CHECK(whole.bodyTruncated() || input.endsWith(whole.body()));
        CHECK(!whole.bodyTruncated() || whole.body().size() == maxBodyBytes);
    }

    // reset() forgets the first run entirely.
    chunked.reset();
    CHECK(!chunked.headersComplete() && chunked.errorString().isEmpty() &&
          chunked.headers().isEmpty() && chunked.body().isEmpty() && chunked.status() == 200);
    CHECK(run(chunked, input, seed + 1, maxChunk) == wholeStatus);
    CHECK(sameResult(whole, chunked));
    return 0;
}
