#pragma once

#include "php/phprequest.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <optional>

/// The X-WS-* control headers of one PHP reply, parsed and validated once.
struct ControlHeaders {
    static constexpr qsizetype MaxNameBytes = 256; // a user or group name
    static constexpr int MaxGroupsPerHeader = 256; // names in one X-WS-Join / X-WS-Leave

    struct Close {
        int code = 1000;
        QByteArray reason; // UTF-8; the connection cuts it to what a close frame holds
    };

    std::optional<QString> user; // X-WS-User: present; empty value unbinds
    QStringList join;
    QStringList leave;
    std::optional<Close> close;
    /// One line per value refused or changed ("X-WS-Close: 1005 may not be sent; closing with
    /// 1011"), for the log; the rest of the headers still apply.
    QStringList problems;

    bool isEmpty() const { return !user && join.isEmpty() && leave.isEmpty() && !close; }

    /// Reads every X-WS-* header (names case-insensitive, repeated headers add up).
    static ControlHeaders parse(const PhpParams &headers);
};
