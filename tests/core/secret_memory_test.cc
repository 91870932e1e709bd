// Secret memory: OpenSSL's secure heap, checked from /proc/self/smaps.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

#include "kda/core/noise/noise.h"
#include "kda/core/secret_memory.h"

namespace kda {
namespace {

// The VmFlags of the mapping that holds `p` ("rd wr mr mw me dd ..."), or
// empty if none does.
std::string vm_flags_of(const void* p) {
  const auto addr = reinterpret_cast<std::uintptr_t>(p);
  std::ifstream smaps("/proc/self/smaps");
  bool inside = false;
  for (std::string line; std::getline(smaps, line);) {
    unsigned long start = 0, end = 0;
    char dash = 0;
    std::istringstream head(line);
    if (head >> std::hex >> start >> dash >> end && dash == '-' && line.find(':') > line.find(' ')) {
      inside = addr >= start && addr < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0) return line.substr(8) + " ";
  }
  return {};
}

std::array<std::uint8_t, 32> filled(std::uint8_t v) {
  std::array<std::uint8_t, 32> a;
  a.fill(v);
  return a;
}

TEST(SecretMemory, SizeMustBeAPowerOfTwo) {
  if (secret_memory_enabled()) GTEST_SKIP() << "already on in this process";
  EXPECT_FALSE(enable_secret_memory(3 * 4096));
  EXPECT_FALSE(enable_secret_memory(1024));
  EXPECT_FALSE(secret_memory_enabled());
}

TEST(SecretMemory, KeysHoldTheirBytesAndMove) {
  SecretKey zero;
  EXPECT_EQ(zero.copy(), filled(0));
  SecretKey key(filled(7));
  EXPECT_EQ(key.copy(), filled(7));
  EXPECT_EQ(key.view().size(), 32u);
  const std::uint8_t* where = key.data();
  SecretKey moved(std::move(key));
  EXPECT_EQ(moved.data(), where);
  EXPECT_EQ(moved.copy(), filled(7));
  zero = std::move(moved);
  EXPECT_EQ(zero.copy(), filled(7));
}

TEST(SecretMemory, OnceEnabledKeysAreLeftOutOfCoreDumps) {
  ASSERT_TRUE(enable_secret_memory(1 << 20));
  EXPECT_TRUE(secret_memory_enabled());
  EXPECT_TRUE(enable_secret_memory(1 << 20));  // a second call is harmless
  SecretKey key(filled(9));
  EXPECT_TRUE(in_secret_memory(key.data()));
  EXPECT_NE(vm_flags_of(key.data()).find(" dd "), std::string::npos) << vm_flags_of(key.data());
  // Ordinary memory is not marked.
  std::string ordinary(64, 'x');
  EXPECT_EQ(vm_flags_of(ordinary.data()).find(" dd "), std::string::npos);

  // Noise private keys live there too, shared by copies of the key pair.
  auto kp = noise::Keypair::generate();
  ASSERT_TRUE(kp);
  EXPECT_TRUE(in_secret_memory(kp->private_key().data()));
  noise::Keypair copy = *kp;
  EXPECT_EQ(copy.private_key().data(), kp->private_key().data());
  auto again = noise::Keypair::from_private(copy.private_key());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->public_key(), kp->public_key());
}

}  // namespace
}  // namespace kda
