#include "cgiparams.h"

#include "version.h"

#include <QFileInfo>
#include <QHash>

namespace {

bool isDropped(QByteArrayView lowerName) {
    static const QByteArrayView dropped[] = {
        "connection",     "keep-alive",        "proxy-connection", "te",
        "trailer",        "transfer-encoding", "upgrade",
        "proxy",                          // httpoxy: PHP would expose it as HTTP_PROXY
        "content-length", "content-type", // CGI's own CONTENT_*, set per request
    };
    for (QByteArrayView d : dropped) {
        if (d == lowerName)
            return true;
    }
    return false;
}

QByteArray addressText(const QHostAddress &address) {
    // An IPv4 peer on a dual-stack socket reads as ::ffff:1.2.3.4; PHP apps expect 1.2.3.4.
    bool isV4 = false;
    const quint32 v4 = address.toIPv4Address(&isV4);
    return (isV4 ? QHostAddress(v4) : address).toString().toLatin1();
}

} // namespace

QByteArray CgiParams::scriptName(const QString &script, const QString &docroot) {
    if (!docroot.isEmpty() && script.startsWith(docroot + QLatin1Char('/')))
        return script.mid(docroot.size()).toUtf8();
    return (QLatin1Char('/') + QFileInfo(script).fileName()).toUtf8();
}

QByteArray CgiParams::headerParamName(QByteArrayView name) {
    if (name.isEmpty() || isDropped(name.toByteArray().toLower()))
        return {};
    QByteArray out("HTTP_");
    out.reserve(5 + name.size());
    for (char c : name) {
        if (c >= 'a' && c <= 'z')
            out += char(c - 'a' + 'A');
        else if ((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
            out += c;
        else if (c == '-')
            out += '_';
        else
            return {}; // '_' would collide with '-' (X_Forwarded_For vs X-Forwarded-For)
    }
    return out;
}

PhpParams CgiParams::build(const Settings &s, const Endpoints &e, const HttpRequest &head) {
    const QString docroot = s.docroot.isEmpty() ? QFileInfo(s.script).absolutePath() : s.docroot;
    PhpParams p;
    p.reserve(20 + s.extra.size() + head.headers.size());
    p.emplaceBack("GATEWAY_INTERFACE", "CGI/1.1");
    p.emplaceBack("SERVER_SOFTWARE", "wsgate/" WSGATE_VERSION);
    p.emplaceBack("REQUEST_METHOD", "POST");
    p.emplaceBack("SCRIPT_FILENAME", s.script.toUtf8());
    p.emplaceBack("SCRIPT_NAME", scriptName(s.script, docroot));
    p.emplaceBack("DOCUMENT_ROOT", docroot.toUtf8());
    p.emplaceBack("REQUEST_URI", head.target);
    p.emplaceBack("DOCUMENT_URI", head.path);
    p.emplaceBack("QUERY_STRING", head.query);
    p.emplaceBack("REMOTE_ADDR", addressText(e.remoteAddress));
    p.emplaceBack("REMOTE_PORT", QByteArray::number(e.remotePort));
    p.emplaceBack("SERVER_ADDR", addressText(e.localAddress));
    p.emplaceBack("SERVER_PORT", QByteArray::number(e.localPort));
    p.emplaceBack("SERVER_NAME", s.serverName.toUtf8());
    p.emplaceBack("SERVER_PROTOCOL", "HTTP/1.1");
    p.emplaceBack("REDIRECT_STATUS", "200"); // php-cgi's cgi.force_redirect wants it
    if (s.https)
        p.emplaceBack("HTTPS", "on");
    p.append(s.extra);
    QHash<QByteArray, qsizetype> seen;
    for (const auto &[name, value] : head.headers) {
        const QByteArray cgiName = headerParamName(name);
        if (cgiName.isEmpty())
            continue;
        const auto it = seen.constFind(cgiName);
        if (it != seen.constEnd()) {
            p[*it].second += (cgiName == "HTTP_COOKIE" ? "; " : ", ") + value;
            continue;
        }
        seen.insert(cgiName, p.size());
        p.emplaceBack(cgiName, value);
    }
    return p;
}
