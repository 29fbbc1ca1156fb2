#include "phpresponse.h"

const char *phpOutcomeName(PhpOutcome outcome) {
    switch (outcome) {
    case PhpOutcome::Ok:
        return "ok";
    case PhpOutcome::Unavailable:
        return "php_unavailable";
    case PhpOutcome::Timeout:
        return "php_timeout";
    case PhpOutcome::BadResponse:
        return "php_bad_response";
    case PhpOutcome::Overloaded:
        return "php_overloaded";
    }
    return "unknown";
}

QByteArray PhpResponse::header(const QByteArray &name) const {
    for (const auto &h : headers) {
        if (h.first.compare(name, Qt::CaseInsensitive) == 0)
            return h.second;
    }
    return {};
}
