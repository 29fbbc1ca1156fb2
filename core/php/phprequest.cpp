#include "phprequest.h"

PhpParams PhpRequest::allParams() const {
    if (!base)
        return params;
    PhpParams all;
    all.reserve(base->params.size() + params.size());
    all.append(base->params);
    all.append(params);
    return all;
}
