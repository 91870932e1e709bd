// The primary's long-term Noise static key, kept in <state_dir>/primary.key
// (hex, mode 0600) so targets can pin it across restarts. The secrets read
// here are kept in secret memory (kda/core/secret_memory.h); the hex copies
// made on the way are wiped.
#pragma once

#include <functional>
#include <string>

#include "kda/core/error.h"
#include "kda/core/noise/noise.h"

namespace kda::daemon {

Result<noise::Keypair> load_or_create_primary_key(const std::string& path);
// The desk's out-of-band secret (<state_dir>/oob.psk, hex, mode 0600),
// handed to targets by a bump or a QR code (kda-target --psk-file):
// sessions that prove it run Noise_NXpsk2 and skip the admin's SAS
// confirmation.
Result<SecretKey> load_or_create_oob_secret(const std::string& path);

// A radio's own secret (PrimaryContext::secret): the first line of `path`,
// or, when there is no file yet, `make()`'s text written there (mode 0600).
// Never logged.
Result<std::string> load_or_create_radio_secret(const std::string& path, const std::function<std::string()>& make);

// Short id shown to targets and in the ledger: the first 8 hex digits of
// SHA-256 of the public key.
std::string primary_id(const noise::Keypair& key);

}  // namespace kda::daemon
