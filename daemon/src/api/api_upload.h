// Device uploads through the API (POST /api/v1/devices): a JSON upload is
// turned into the device CSV (device_csv.h), so every rule it meets is the
// import's; the import's errors, which name CSV lines, are turned back into
// the JSON paths the client sent. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kda/core/error.h"

namespace kda::api {

struct UploadCsv {
  std::string csv;        // the header, then one row per device
  std::size_t rows = 0;   // devices in the upload
};

// {"devices": [{"imei": "...", ..., "tags": ["..."]}, ...]} as the device
// CSV. Each row is an object with only device_csv.h's columns as keys,
// strings (tags: an array of strings); invalid_field names the place
// ("devices[3].imei: expected a string"), bad_request for text that is not
// JSON. A line break in a value or a tag separator (';', '|') in a tag is
// refused here: the CSV would read it as something else.
Result<UploadCsv> devices_json_to_csv(std::string_view json);

// The data rows of a CSV upload (records after the header, blank lines not
// counted; quoted line breaks stay inside their record).
std::size_t csv_data_rows(std::string_view csv);

// One error of the import of a JSON upload, "FILE: line N, column C: text",
// as the client's path: "devices[N-2].C: text" (the CSV has a header line
// and one line per device). Lines without a data line are kept as they are.
std::string json_upload_error(std::string_view line);

}  // namespace kda::api
