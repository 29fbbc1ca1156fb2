#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

#include <utility>

/// An HTTP/1.1 response as a value; serialized with framing headers the server decides.
class HttpResponse final {
public:
    using Header = std::pair<QByteArray, QByteArray>;

    HttpResponse() = default;
    explicit HttpResponse(int status);

    static HttpResponse text(int status, const QByteArray &body,
                             const QByteArray &contentType = "text/plain; charset=utf-8");
    static HttpResponse json(int status, const QJsonObject &object);
    /// {"error":"<code>","message":"<message>"}
    static HttpResponse jsonError(int status, QByteArrayView code, const QString &message);

    int status() const { return m_status; }
    void setStatus(int status) { m_status = status; }
    /// The reason phrase; the standard one for the status unless set.
    QByteArray reason() const;
    void setReason(const QByteArray &reason) { m_reason = reason; }

    /// Replaces every header of that name. Content-Length, Connection and Date are the
    /// serializer's: set closeConnection() instead, the others are ignored.
    void setHeader(const QByteArray &name, const QByteArray &value);
    void addHeader(const QByteArray &name, const QByteArray &value);
    QByteArray header(QByteArrayView name) const;
    const QList<Header> &headers() const { return m_headers; }

    const QByteArray &body() const { return m_body; }
    void setBody(const QByteArray &body, const QByteArray &contentType);
    void setBody(const QByteArray &body) { m_body = body; }

    /// The connection closes after this response.
    bool closeConnection() const { return m_close; }
    void setCloseConnection(bool close) { m_close = close; }

    struct Framing {
        bool keepAlive = true;   // false: "Connection: close"
        bool http10 = false;     // the request was HTTP/1.0: keep-alive must be explicit
        bool includeBody = true; // false for HEAD: headers (with the length) only
        QDateTime date;          // adds Date when valid
    };
    QByteArray toBytes(const Framing &framing) const;
    QByteArray toBytes() const { return toBytes(Framing{}); }

    static QByteArray reasonPhrase(int status);
    /// IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
    static QByteArray httpDate(const QDateTime &time);

private:
    int m_status = 200;
    QByteArray m_reason;
    QList<Header> m_headers;
    QByteArray m_body;
    bool m_close = false;
};
