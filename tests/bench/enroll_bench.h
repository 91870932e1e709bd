// Enrollment throughput over loopback with real crypto, and the X25519 bound
// an enrollment cannot beat.
#pragma once

#include <chrono>
#include <cstdint>

namespace kda::bench {

struct EnrollResult {
  double enroll_per_s = 0;
  std::uint64_t iterations = 0;
  std::uint64_t wire_bytes = 0;     // both directions, length prefixes included
  std::uint64_t package_bytes = 0;  // serialized EnrollmentPackage
};

// Full target+primary enrollments, both in this process over a LoopbackHub.
EnrollResult run_enroll(std::size_t package_size, std::chrono::milliseconds duration);

// The X25519 work of one NX enrollment (two ephemeral key generations, four
// DH operations), timed alone with the same calls the handshake makes.
double run_dh_bound(std::chrono::milliseconds duration);

}  // namespace kda::bench
