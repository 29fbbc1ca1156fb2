#pragma once

#include "http/httprequest.h"
#include "http/httpresponse.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QMap>

#include <optional>

/// The fields of a push call, from its body only (form or JSON), as bytes. A pure value.
class PushFields final {
public:
    /// Reads the body's fields; a 400 answer when it is malformed. Form unless the media type
    /// is application/json (the caller has refused every other type). JSON values become the
    /// bytes a form would carry; objects and arrays stay JSON text; nulls are absent.
    static std::optional<HttpResponse> parse(const HttpRequest &request, PushFields *out);

    bool isEmpty() const { return m_fields.isEmpty(); }
    bool contains(const QByteArray &name) const { return m_fields.contains(name); }
    QByteArray value(const QByteArray &name) const { return m_fields.value(name); }
    /// Absent, empty, 0/false/no/off: false; 1/true/yes/on: true; anything else: nullopt.
    std::optional<bool> flag(const QByteArray &name) const;
    /// Up to nine decimal digits, surrounding blanks allowed; nullopt otherwise.
    std::optional<int> integer(const QByteArray &name) const;

    /// "type/subtype" of a Content-Type, lower-cased, parameters dropped.
    static QByteArray mediaTypeOf(const QByteArray &contentType);
    static bool isValidUtf8(QByteArrayView bytes);

private:
    QMap<QByteArray, QByteArray> m_fields;
};
