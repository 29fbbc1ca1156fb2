#pragma once

#include "fpm/fpmreport.h"

/// A copy of the PHP-FPM poller's state taken on the engine thread, for the GUI: the admin
/// API's FpmReport, so a console attached to a remote wsgated shows the same.
using FpmSample = FpmReport;
