// libFuzzer entry point for FastCgiRecordParser: the input is split into random chunks (sizes
// and empty feeds chosen by the input's first bytes) and fed like FastCgiConnection does, each
// chunk a copy that dies after it; every record is compared with a one-pass reference reading
// of the whole input, so a chunking that changes what is parsed is a crash.
// Build and run with scripts/fuzz.sh.

#include "fastcgi/fastcgicodec.h"
#include "fastcgi/fastcgirecordparser.h"

#include <QList>

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

struct Record {
    quint8 type;
    quint16 requestId;
    QByteArrayView content;
};

// The records of `in` read in one pass, and where a bad version stops it (-1: none).
QList<Record> reference(QByteArrayView in, qsizetype *errorAt) {
    QList<Record> out;
    const auto *p = reinterpret_cast<const uchar *>(in.data());
    qsizetype pos = 0;
    *errorAt = -1;
    while (in.size() - pos >= FastCgi::HeaderBytes) {
        const uchar *h = p + pos;
        if (h[0] != FastCgi::Version1) {
            *errorAt = pos;
            break;
        }
        const qsizetype length = (h[4] << 8) | h[5];
        const qsizetype padding = h[6];
        if (in.size() - pos - FastCgi::HeaderBytes < length + padding)
            break;
        out.append({h[1], quint16((h[2] << 8) | h[3]), in.sliced(pos + 8, length)});
        pos += FastCgi::HeaderBytes + length + padding;
    }
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2)
        return 0;
    // Header: byte 0 seeds the chunking, byte 1 bounds the chunk size (1..256) and says whether
    // empty feeds are mixed in.
    const uint8_t seed = data[0];
    const qsizetype maxChunk = 1 + (data[1] >> 1);
    const bool emptyFeeds = data[1] & 1;
    const QByteArrayView input(reinterpret_cast<const char *>(data + 2), qsizetype(size - 2));

    qsizetype errorAt = -1;
    const QList<Record> expected = reference(input, &errorAt);

    FastCgiRecordParser parser;
    CHECK(parser.atRecordBoundary());
    uint32_t rng = seed * 2654435761u + 1;
    qsizetype pos = 0;
    qsizetype recordStart = 0; // input offset where the record being parsed began
    qsizetype records = 0;
    bool failed = false;
    while (pos < input.size() && !failed) {
        rng = rng * 1103515245u + 12345u;
        qsizetype chunk = 1 + qsizetype((rng >> 16) % uint32_t(maxChunk));
        if (emptyFeeds && (rng & 0x300) == 0)
            chunk = 0;
        chunk = std::min(chunk, input.size() - pos);
        // A copy that dies after this chunk: content() must not be used beyond it.
        const QByteArray copy = input.sliced(pos, chunk).toByteArray();
        QByteArrayView view = chunk == 0 ? QByteArrayView() : QByteArrayView(copy);
        for (;;) {
            const auto r = parser.parse(view);
            CHECK(r.consumed >= 0 && r.consumed <= view.size());
            if (r.status == FastCgiRecordParser::Status::Error) {
                // Only a bad version fails, and exactly where the reference saw it.
                CHECK(errorAt >= 0 && errorAt == recordStart && records == expected.size());
                CHECK(!parser.errorString().isEmpty());
                const auto again = parser.parse(view.sliced(r.consumed));
                CHECK(again.status == FastCgiRecordParser::Status::Error && again.consumed == 0);
                failed = true;
                break;
            }
            view = view.sliced(r.consumed);
            pos += r.consumed;
            if (r.status == FastCgiRecordParser::Status::Incomplete) {
                CHECK(view.isEmpty()); // Incomplete consumes everything it was given
                CHECK(parser.atRecordBoundary() == (pos == recordStart));
                break;
            }
            // Ok: the next record of the reference, byte for byte.
            CHECK(records < expected.size());
            const Record &e = expected.at(records);
            CHECK(parser.type() == e.type && parser.requestId() == e.requestId);
            CHECK(parser.content() == e.content);
            CHECK(parser.content().size() <= FastCgi::MaxContentBytes);
            CHECK(parser.atRecordBoundary());
            CHECK(pos - recordStart ==
                  FastCgi::HeaderBytes + e.content.size() + uchar(input[recordStart + 6]));
            ++records;
            recordStart = pos;
            if (view.isEmpty())
                break;
        }
    }
    if (!failed) {
        // Everything was consumed; what is left over is a record the input cut short (a bad
        // version is only seen once the whole header is there, and then it fails).
        CHECK(records == expected.size() && errorAt < 0);
    }

    // reset() forgets everything, errors included: a fresh record parses again.
    parser.reset();
    CHECK(parser.atRecordBoundary() && parser.errorString().isEmpty());
    QByteArray record;
    FastCgiCodec::appendRecord(record, FastCgi::Stdout, 1,
                               input.first(std::min<qsizetype>(input.size(), 100)), 3);
    const auto r = parser.parse(record);
    CHECK(r.status == FastCgiRecordParser::Status::Ok && r.consumed == record.size());
    CHECK(parser.type() == FastCgi::Stdout && parser.requestId() == 1);
    CHECK(parser.content() == input.first(std::min<qsizetype>(input.size(), 100)));
    return 0;
}
