#include "clientroute.h"

#include <QCryptographicHash>

QByteArray ClientRoute::idPrefix(quint32 nodeTag, int shard) {
    const quint32 v = ((nodeTag & TagMask) << 8) | quint32(shard & 0xff);
    return QByteArray::number(v, 16).rightJustified(PrefixHexDigits, '0');
}

std::optional<ClientRoute> ClientRoute::of(const QByteArrayView id) {
    if (id.size() != IdHexDigits)
        return std::nullopt;
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return std::nullopt;
    }
    bool ok = false;
    const quint32 v = id.first(PrefixHexDigits).toByteArray().toUInt(&ok, 16);
    if (!ok)
        return std::nullopt;
    return ClientRoute{v >> 8, int(v & 0xff)};
}

quint32 ClientRoute::tagOf(const QString &nodeId) {
    const QByteArray h = QCryptographicHash::hash(nodeId.toUtf8(), QCryptographicHash::Sha1);
    return (quint32(uchar(h[0])) << 16) | (quint32(uchar(h[1])) << 8) | quint32(uchar(h[2]));
}
