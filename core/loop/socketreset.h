#pragma once

#include <QtGlobal>

/// Makes the next close() of socket `fd` a reset (SO_LINGER on, 0 s): what the kernel still
/// holds to send is dropped and the peer gets RST. Only for connections we give up on — a
/// peer that stopped reading, a close that never finished. A plain close() there leaves the
/// socket to the kernel as an orphan in FIN-WAIT-1, its unsent bytes (megabytes on loopback)
/// kept until the peer reads or the orphan timers run out, minutes later. Returns false when
/// the option could not be set (the close is then an ordinary one).
bool resetOnClose(qintptr fd);
/// Bytes written to socket `fd` the peer has not acknowledged yet (Linux: SIOCOUTQ); -1 where
/// that cannot be known.
qint64 kernelUnsentBytes(qintptr fd);
/// resetOnClose(fd) when the peer has not taken everything sent (`queued`: bytes still in our
/// own buffers), so an abort of a peer that stopped reading frees the kernel's copy at once; an
/// abort of one that did read everything stays an ordinary close. True when it will reset.
bool resetOnCloseIfUnsent(qintptr fd, qint64 queued);
