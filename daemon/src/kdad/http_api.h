// kdad's HTTP API ([http] in kdad.toml, docs/API.md): a second door into
// the same control service the control socket uses. A request's bearer
// token becomes the Caller (its name, role and customer), its route a
// v1::ControlRequest (api/api_routes.h), and the service's answer the HTTP
// response (api/api_answer.h); roles, customer scopes, audit and every rule
// stay the service's. Here: authentication with its rate limit, the access
// log, long uploads as operations (http_operations.h) and the events
// stream (http_events.h). Lives on kdad's io_context thread.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "kda/core/asio.h"
#include "kda/core/error.h"
#include "kda/daemon/config.h"
#include "kda/daemon/control_handler.h"
#include "kda/proto/control.pb.h"
#include "log.h"
#include "store_worker.h"

namespace kda::daemon {

class HttpApi {
 public:
  // [http] listen set: the TLS identity (the configured certificate, or a
  // self-signed one kept in <state_dir>/http/), the listener bound and
  // serving. An error names what stops kdad (a taken port, a bad key).
  // `reader` looks tokens up (never on the io thread); `boot_ms` is kdad's
  // start (the events' ids).
  static Result<std::unique_ptr<HttpApi>> start(asio::any_io_executor executor, const Config& config,
                                                ControlHandler& control, StoreWorker& reader, std::int64_t boot_ms,
                                                Log& log);
  virtual ~HttpApi() = default;
  // status's `http`: where it listens, TLS, the certificate and its fingerprint.
  virtual v1::HttpStatus status() const = 0;
  // Closes the listener, every connection and the events (before the
  // control service goes away).
  virtual void stop() = 0;
};

}  // namespace kda::daemon
