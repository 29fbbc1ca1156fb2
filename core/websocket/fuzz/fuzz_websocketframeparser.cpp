// libFuzzer entry point for WebSocketFrameParser: the input is split into random chunks (sizes
// taken from the input's first bytes) and fed like a socket would, under a limit the input
// chooses; every event is checked against the parser's contract.
// Build and run with scripts/fuzz.sh.

#include "websocket/utf8validator.h"
#include "websocket/websocketframeparser.h"

#include <cstdint>
#include <cstdlib>

namespace {

void check(bool ok) {
    if (!ok)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    // Header: byte 0 seeds the chunking; bytes 1-2 choose the limit (small half the time, so
    // the limit paths are reached often).
    WebSocketFrameParser::Limits limits;
    if (data[1] & 1)
        limits.maxMessageBytes = (qint64(data[1]) << 8 | data[2]) >> 1;
    const uint8_t seed = data[0];
    data += 3;
    size -= 3;

    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    WebSocketFrameParser parser(limits);
    check(parser.limits().maxMessageBytes == limits.maxMessageBytes);
    uint32_t rng = seed * 2654435761u + 1;
    qsizetype pos = 0;
    bool failed = false;
    while (pos < input.size() && !failed) {
        rng = rng * 1103515245u + 12345u;
        const qsizetype chunk = 1 + qsizetype((rng >> 16) % 64);
        const QByteArrayView view =
            QByteArrayView(input).sliced(pos).first(std::min(chunk, input.size() - pos));
        qsizetype off = 0;
        for (;;) {
            const auto r = parser.feed(view.sliced(off));
            check(r.consumed >= 0 && off + r.consumed <= view.size());
            off += r.consumed;
            check(parser.bufferedBytes() <= limits.maxMessageBytes + 14);
            check(parser.messageBytesSoFar() <= limits.maxMessageBytes);
            if (r.event == WebSocketFrameParser::Event::NeedMore) {
                check(off == view.size()); // NeedMore consumes everything it was given
                break;
            }
            if (r.event == WebSocketFrameParser::Event::Error) {
                const int code = parser.errorCode();
                check(code == 1002 || code == 1007 || code == 1009);
                check(!parser.errorDetail().isEmpty());
                check(!parser.messageInProgress());
                // Sticky, and nothing consumed from now on.
                const auto again = parser.feed(view.sliced(off));
                check(again.event == WebSocketFrameParser::Event::Error && again.consumed == 0);
                failed = true;
                break;
            }
            check(r.consumed > 0); // every other event ends with at least one byte
            switch (r.event) {
            case WebSocketFrameParser::Event::Message: {
                const bool binary = parser.messageIsBinary();
                const QByteArray m = parser.takeMessage();
                check(m.size() <= limits.maxMessageBytes);
                check(binary || Utf8Validator::isValid(m));
                check(!parser.messageInProgress());
                break;
            }
            case WebSocketFrameParser::Event::Ping:
            case WebSocketFrameParser::Event::Pong:
                check(parser.controlPayload().size() <= 125);
                break;
            case WebSocketFrameParser::Event::Close: {
                const int code = parser.closeCode();
                check(code == 1005 || (code >= 1000 && code <= 4999));
                check(Utf8Validator::isValid(parser.closeReason()));
                check(parser.closeReason().size() <= 123);
                check(code != 1005 || parser.controlPayload().isEmpty());
                break;
            }
            default:
                break;
            }
        }
        pos += view.size();
    }
    return 0;
}
