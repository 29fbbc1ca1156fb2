#include "http/httprequest.h"

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool sameName(QByteArrayView a, QByteArrayView b) {
    return a.compare(b, Qt::CaseInsensitive) == 0;
}

} // namespace

QByteArray HttpRequest::header(QByteArrayView name) const {
    for (const Header &h : headers) {
        if (sameName(h.first, name))
            return h.second;
    }
    return {};
}

bool HttpRequest::hasHeader(QByteArrayView name) const {
    for (const Header &h : headers) {
        if (sameName(h.first, name))
            return true;
    }
    return false;
}

QList<QByteArray> HttpRequest::headerValues(QByteArrayView name) const {
    QList<QByteArray> values;
    for (const Header &h : headers) {
        if (sameName(h.first, name))
            values.append(h.second);
    }
    return values;
}

std::optional<QByteArray> HttpRequest::percentDecoded(QByteArrayView in, bool plusAsSpace) {
    QByteArray out;
    out.reserve(in.size());
    for (qsizetype i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size())
                return std::nullopt;
            const int hi = hexValue(in[i + 1]);
            const int lo = hexValue(in[i + 2]);
            if (hi < 0 || lo < 0)
                return std::nullopt;
            out.append(char(hi * 16 + lo));
            i += 2;
        } else if (c == '+' && plusAsSpace) {
            out.append(' ');
        } else {
            out.append(c);
        }
    }
    return out;
}

std::optional<QList<HttpRequest::Header>> HttpRequest::parseUrlEncoded(QByteArrayView in) {
    QList<Header> pairs;
    qsizetype start = 0;
    while (start <= in.size()) {
        qsizetype end = in.indexOf('&', start);
        if (end < 0)
            end = in.size();
        const QByteArrayView part = in.sliced(start, end - start);
        if (!part.isEmpty()) {
            const qsizetype eq = part.indexOf('=');
            const QByteArrayView rawKey = eq < 0 ? part : part.first(eq);
            const QByteArrayView rawValue = eq < 0 ? QByteArrayView() : part.sliced(eq + 1);
            auto key = percentDecoded(rawKey, true);
            auto value = percentDecoded(rawValue, true);
            if (!key || !value)
                return std::nullopt;
            pairs.append({*key, *value});
        }
        start = end + 1;
    }
    return pairs;
}
