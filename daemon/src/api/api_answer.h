// How the control service's answer to a route becomes the HTTP response:
// the payload as JSON (json_codec.h), a page with its next cursor, CSV, NDEF
// bytes, or a problem document (problem.h) for a refusal. Pure.
#pragma once

#include <vector>

#include "api/api_routes.h"
#include "api/http_message.h"
#include "kda/proto/control.pb.h"

namespace kda::api {

// `responses`: every response the service sent for call.request, in order
// (a paged answer's pages; the last has more = false, or ok = false). A
// refusal becomes a problem (an import's refusal carries its row errors).
// Shape::png is the caller's (it renders the QR: qr_png.h); the rest is here.
ApiResponse answer(const ApiCall& call, std::string_view instance, const std::vector<v1::ControlResponse>& responses);

}  // namespace kda::api
