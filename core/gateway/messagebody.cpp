#include "messagebody.h"

MessageBody MessageBody::encode(Mode mode, const QByteArray &payload, bool binary,
                                const QByteArray &clientId) {
    if (mode == Mode::Form) {
        // Never raw bytes in a form body: PHP would parse them as fields.
        return {QByteArrayLiteral("type=server&message=") + payload.toPercentEncoding() +
                    QByteArrayLiteral("&client_id=") + clientId,
                QByteArrayLiteral("application/x-www-form-urlencoded")};
    }
    // Shared, not copied: the FastCGI STDIN is written from the message's own buffer.
    return {payload, binary ? QByteArrayLiteral("application/octet-stream")
                            : QByteArrayLiteral("text/plain; charset=utf-8")};
}
