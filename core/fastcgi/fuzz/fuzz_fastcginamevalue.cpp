// libFuzzer entry point for FastCGI name-value pairs (FastCgiCodec). Two halves per input:
// the decoder reads the input as a PARAMS stream under a pair limit the input chooses; then the
// input, cut into pairs (a value sometimes repeated past one record), goes through the encoder
// (appendParams with an encoded prefix) and back through FastCgiRecordParser and the decoder,
// which must give the same pairs.
// Build and run with scripts/fuzz.sh.

#include "fastcgi/fastcgicodec.h"
#include "fastcgi/fastcgirecordparser.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            std::fprintf(stderr, "CHECK failed at line %d: %s\n", __LINE__, #cond);                \
            std::abort();                                                                          \
        }                                                                                          \
    } while (0)

namespace {

void checkDecoder(QByteArrayView input, qsizetype maxPairBytes) {
    FastCgi::NameValuePairs pairs;
    QString error;
    const bool ok = FastCgiCodec::decodeNameValuePairs(input, &pairs, &error, maxPairBytes);
    // Without an output list the verdict is the same.
    CHECK(FastCgiCodec::decodeNameValuePairs(input, nullptr, nullptr, maxPairBytes) == ok);
    const qsizetype limit =
        maxPairBytes < 0 ? FastCgiCodec::defaultMaxNameValuePairBytes() : maxPairBytes;
    if (!ok) {
        CHECK(!error.isEmpty());
        return;
    }
    CHECK(error.isEmpty());
    // Every pair within the limit, and no more bytes than the input held: the encoder's
    // (shortest) form of the same pairs is never longer than what was decoded.
    qsizetype encoded = 0;
    for (const auto &[name, value] : pairs) {
        CHECK(name.size() + value.size() <= limit);
        encoded += FastCgiCodec::nameValuePairBytes(name.size(), value.size());
    }
    CHECK(encoded <= input.size());
    const QByteArray again = FastCgiCodec::encodeNameValuePairs(pairs);
    CHECK(again.size() == encoded);
    FastCgi::NameValuePairs roundTrip;
    CHECK(FastCgiCodec::decodeNameValuePairs(again, &roundTrip, nullptr, limit));
    CHECK(roundTrip == pairs);
    // The canonical form decodes to itself.
    if (encoded == input.size())
        CHECK(again == input);
}

// Cuts `input` into pairs: each takes a name length and a value length from one byte each
// and a repeat flag, so one value can exceed a record (65535 bytes) from a short input.
FastCgi::NameValuePairs pairsFrom(QByteArrayView input) {
    FastCgi::NameValuePairs pairs;
    qsizetype pos = 0;
    bool repeated = false; // one big value per half: enough for the record splits, and cheap
    while (input.size() - pos >= 3) {
        const qsizetype nameLength = uchar(input[pos]) % 140; // 127/128 straddled
        const qsizetype valueLength = uchar(input[pos + 1]);
        const int repeat = uchar(input[pos + 2]) >= 250 && !repeated ? 300 : 1;
        repeated = repeated || repeat > 1;
        pos += 3;
        const QByteArrayView name = input.sliced(pos, std::min(nameLength, input.size() - pos));
        pos += name.size();
        const QByteArrayView value = input.sliced(pos, std::min(valueLength, input.size() - pos));
        pos += value.size();
        pairs.append({name.toByteArray(), value.toByteArray().repeated(repeat)});
    }
    return pairs;
}

void checkEncoder(QByteArrayView input, quint16 requestId) {
    const qsizetype half = input.size() / 2;
    const FastCgi::NameValuePairs prefix = pairsFrom(input.first(half));
    const FastCgi::NameValuePairs params = pairsFrom(input.sliced(half));
    const QByteArray encodedPrefix = FastCgiCodec::encodeNameValuePairs(prefix);

    QByteArray out;
    FastCgiCodec::appendParams(out, requestId, encodedPrefix, params);
    qsizetype expectedBytes = encodedPrefix.size();
    for (const auto &[name, value] : params)
        expectedBytes += FastCgiCodec::nameValuePairBytes(name.size(), value.size());

    // PARAMS records only, for our id, each full but the last two, ending with an empty one.
    FastCgiRecordParser parser;
    QByteArray stream;
    QByteArrayView rest(out);
    int records = 0;
    bool ended = false;
    while (!rest.isEmpty()) {
        CHECK(!ended);
        const auto r = parser.parse(rest);
        CHECK(r.status == FastCgiRecordParser::Status::Ok);
        CHECK(parser.type() == FastCgi::Params && parser.requestId() == requestId);
        rest = rest.sliced(r.consumed);
        ended = parser.content().isEmpty();
        if (!ended && !rest.isEmpty() && stream.size() + parser.content().size() < expectedBytes)
            CHECK(parser.content().size() == FastCgi::MaxContentBytes);
        stream.append(parser.content().data(), parser.content().size());
        ++records;
    }
    CHECK(ended);
    CHECK(stream.size() == expectedBytes);
    CHECK(out.size() == FastCgiCodec::streamBytes(expectedBytes));

    FastCgi::NameValuePairs decoded;
    CHECK(FastCgiCodec::decodeNameValuePairs(stream, &decoded, nullptr));
    CHECK(decoded == prefix + params);
    // Without a prefix, the same bytes as the prefix decoded and sent as params.
    QByteArray plain;
    FastCgiCodec::appendParams(plain, requestId, prefix + params);
    CHECK(plain == out);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 3)
        return 0;
    // Header: byte 0 picks the pair limit (the default, or a small one so the limit path is
    // reached), bytes 1-2 the request id for the encoder half.
    const qsizetype maxPairBytes = data[0] & 1 ? qsizetype(data[0] >> 1) * 3 : -1;
    const quint16 requestId = quint16(data[1] << 8 | data[2]);
    const QByteArrayView input(reinterpret_cast<const char *>(data + 3), qsizetype(size - 3));
    checkDecoder(input, maxPairBytes);
    checkEncoder(input, requestId);
    return 0;
}
