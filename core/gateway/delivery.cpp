#include "delivery.h"

QString PushTarget::describe() const {
    switch (kind) {
    case Kind::Client:
        return QStringLiteral("client ") + QString::fromLatin1(name);
    case Kind::User:
        return QStringLiteral("user ") + QString::fromUtf8(name);
    case Kind::Group:
        return QStringLiteral("group ") + QString::fromUtf8(name);
    case Kind::Everyone:
        break;
    }
    return QStringLiteral("everyone");
}

void DeliveryResult::add(const DeliveryResult &o) {
    matched += o.matched;
    delivered += o.delivered;
    bufferFull += o.bufferFull;
    nodes += o.nodes;
    exact = exact && o.exact;
    if (error.isEmpty())
        error = o.error;
}
