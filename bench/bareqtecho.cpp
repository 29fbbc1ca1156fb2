// bareqtecho: the floor for the "holding connections" comparison: a bare QWebSocketServer echo
// server on Qt's stock event dispatcher, with nothing but nextPendingConnection() and an echo
// lambda (no limits, no PHP, no pings).
//
//   bareqtecho [--port N]      (default 0: any free port; prints "listening on ws://…/")

#include "benchcommon.h"

#include <QCoreApplication>
#include <QHostAddress>
#include <QWebSocket>
#include <QWebSocketServer>

int main(int argc, char **argv) {
    const bench::Args args(argc, argv);
    bench::raiseFdLimit();
    QCoreApplication app(argc, argv);
    QWebSocketServer server(QStringLiteral("bareqtecho"), QWebSocketServer::NonSecureMode);
    QObject::connect(&server, &QWebSocketServer::newConnection, &server, [&server] {
        while (QWebSocket *s = server.nextPendingConnection()) {
            QObject::connect(s, &QWebSocket::textMessageReceived, s,
                             [s](const QString &m) { s->sendTextMessage(m); });
            QObject::connect(s, &QWebSocket::binaryMessageReceived, s,
                             [s](const QByteArray &m) { s->sendBinaryMessage(m); });
            QObject::connect(s, &QWebSocket::disconnected, s, &QObject::deleteLater);
        }
    });
    if (!server.listen(QHostAddress::LocalHost, quint16(args.num("port", 0)))) {
        std::fprintf(stderr, "bareqtecho: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    std::printf("listening on ws://127.0.0.1:%u/\n", unsigned(server.serverPort()));
    std::fflush(stdout);
    return app.exec();
}
