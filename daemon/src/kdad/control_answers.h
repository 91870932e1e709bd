// What ControlService's answers are made of, shared by its files
// (control_service.cc: sessions, status, profiles, the ledger;
// control_devices.cc: the inventory): ok/done/refusal responses, device and
// ledger rows, the filter of a listing or a batch, who asked.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "control_service.h"

namespace kda::daemon {

// The refusal's line for the admin and its code for programs (docs/ERRORS.md).
v1::ControlResponse failed(const Error& e);
v1::ControlResponse failed(std::error_code code, std::string line);
v1::ControlResponse done(std::string message, std::uint32_t count);
v1::ControlResponse ok();

// A reseller's registrations: every customer's that registered its id
// (control_admit.cc; what a reseller's caller reaches).
Result<std::vector<Reseller>> reseller_registrations(StateStore& st, const std::string& reseller_id);

void fill_row(const InventoryDevice& d, v1::DeviceRow& row);
void fill_ledger(const LedgerEntry& e, v1::LedgerRow& row);
Result<DeviceFilter> to_filter(const v1::DeviceFilter& f);

// Who acted, for the ledger: "alice", "uid 1234" for a uid without a name,
// "alice as customer-admin" where the desk grants roles ([access]).
std::string actor(const ControlPeer& peer);
// For log lines: "alice (uid 1000)".
std::string who(const ControlPeer& peer);
// "1 device", "3 devices".
std::string count_of(std::size_t n, const char* noun);

// Rows in one page of a listing or an export: a few hundred KiB.
inline constexpr std::size_t kPageRows = 1000;
// A page asked for by a cursor (DevicesListRequest.page_size, a ledger
// newest first): the most it may hold, and a ledger page's size unasked.
inline constexpr std::uint32_t kMaxCursorPage = 1000;
inline constexpr std::uint32_t kCursorPageDefault = 100;

}  // namespace kda::daemon
