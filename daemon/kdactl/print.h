// Human output of kdactl: aligned tables and key/value blocks, one function
// per payload of kda.v1.ControlResponse.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "kda/proto/control.pb.h"

namespace kdactl {

// Columns padded to their widest cell (UTF-8 aware); the last is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> headers) : rows_{std::move(headers)} {}
  // Every cell goes through escape_controls (kda/core/untrusted_text.h): a
  // table shows what devices sent, and a cell must not move the cursor or
  // add a line.
  void add(std::vector<std::string> row);
  std::string str() const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// A table printed as its rows arrive, page by page (a paged answer). The
// first page that has rows sets the column widths and brings the header
// line; later pages keep those widths, and a wider cell pushes the rest of
// its line to the right. One page alone prints exactly as Table does.
class PagedTable {
 public:
  explicit PagedTable(std::vector<std::string> headers) : headers_(std::move(headers)) {}
  // The lines of `rows` (cells escaped as in Table::add); the header first
  // with the first rows.
  std::string page(std::vector<std::vector<std::string>> rows);
  std::uint64_t rows() const { return rows_; }

 private:
  std::vector<std::string> headers_;
  std::vector<std::size_t> widths_;
  std::uint64_t rows_ = 0;
};

// One page of a device listing or ledger as table rows.
std::vector<std::vector<std::string>> device_rows(const kda::v1::DeviceList& list);
std::vector<std::string> device_headers();
// `customers`: with a CUSTOMER column, which a ledger shows only when a row
// names a customer (names_customers): a direct desk's ledger is unchanged.
std::vector<std::vector<std::string>> ledger_rows(const kda::v1::LedgerList& list, bool customers);
std::vector<std::string> ledger_headers(bool customers);
bool names_customers(const kda::v1::LedgerList& list);
// "3 devices", after the rows; "no devices" when there were none.
std::string format_device_total(std::uint64_t devices);

std::string format_status(const kda::v1::StatusInfo& s);
std::string format_profiles(const kda::v1::ProfileList& list);
std::string format_device(const kda::v1::DeviceDetail& detail);
std::string format_sessions(const kda::v1::SessionList& list);
// With a "-- N older entries not shown --" line first when the limit cut.
std::string format_ledger(const kda::v1::LedgerList& list);
std::string format_omitted(std::uint64_t omitted);
// One entry or session on one line, for the streams (ledger --follow, monitor).
std::string format_ledger_line(const kda::v1::LedgerRow& entry);
std::string format_session_line(const kda::v1::SessionRow& session);
std::string format_report(const kda::v1::Report& report);
std::string format_report_csv(const kda::v1::Report& report);
// "devices.csv: 12 added, 3 updated, 12 approved"
std::string format_import(const std::string& file, const kda::v1::ImportSummary& summary);

// customers list and customers report: NAME, STATUS, CUSTOMER ID,
// MANAGEMENT, DEVICES, CREATED, MODIFIED.
std::string format_customers(const kda::v1::CustomerList& list);
// customers show: every field, one a line.
std::string format_customer(const kda::v1::CustomerInfo& customer);
// What a lifecycle command left: "customer 4096012345 (Acme): Delink requested, Jointly managed".
std::string format_customer_line(const kda::v1::CustomerInfo& customer);
// resellers list: CUSTOMER, RESELLER ID, NAME, APPROVAL, PROFILE, CREATED.
std::string format_resellers(const kda::v1::ResellerList& list);

}  // namespace kdactl
