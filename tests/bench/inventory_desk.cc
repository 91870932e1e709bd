#include "inventory_desk.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "load_bench.h"

namespace kda::bench {

long positive_arg(int argc, char** argv, int& i, const char* name) {
  if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
  char* end = nullptr;
  const long v = std::strtol(argv[++i], &end, 10);
  if (*end != '\0' || v <= 0) throw std::invalid_argument(std::string(name) + " wants a positive number");
  return v;
}

std::string string_arg(int argc, char** argv, int& i, const char* name) {
  if (i + 1 >= argc) throw std::invalid_argument(std::string(name) + " needs a value");
  return argv[++i];
}

namespace {

std::string inventory_serial(long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "INV%08ld", i);
  return buf;
}

// Devices [begin, end): IMEI, serial, credentials and tags. `variant` is the
// one column that differs between the first upload and the re-import.
void write_inventory_csv(const std::string& path, long begin, long end, char variant) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "w"), &std::fclose);
  if (!f) throw std::runtime_error(path + ": cannot write");
  std::fputs("imei,serial,user_id,password,tags\n", f.get());
  for (long i = begin; i < end; ++i)
    std::fprintf(f.get(), "%s,%s,user-%ld,pw-%ld,bench;%c%ld\n", load_imei(static_cast<std::uint64_t>(i)).c_str(),
                 inventory_serial(i).c_str(), i, i, variant, i % 7);
}

}  // namespace

// One file per upload of at most kChunk rows (kdad's limit for one CSV).
std::vector<std::string> inventory_files(const std::string& dir, long n, char variant) {
  std::vector<std::string> files;
  for (long begin = 0; begin < n; begin += kChunk) {
    files.push_back(dir + "/inventory-" + variant + std::to_string(begin / kChunk) + ".csv");
    write_inventory_csv(files.back(), begin, std::min(n, begin + kChunk), variant);
  }
  return files;
}

std::string pool_serial(long i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "ENR%07ld", i);
  return buf;
}

std::string write_pool_csv(const std::string& dir, long n) {
  const std::string path = dir + "/pool.csv";
  std::ofstream out(path);
  out << "imei,serial\n";
  for (long i = 0; i < n; ++i) out << load_imei(kPoolBase + static_cast<std::uint64_t>(i)) << ',' << pool_serial(i) << '\n';
  if (!out) throw std::runtime_error(path + ": cannot write");
  return path;
}

// Parses what both commands share; false when `arg` is none of it.
bool common_arg(CommonOptions& o, int argc, char** argv, int& i) {
  const std::string arg = argv[i];
  if (arg == "--json") o.json = true;
  else if (arg == "--check") o.check = true;
  else if (arg == "--devices") o.devices = positive_arg(argc, argv, i, "--devices");
  else if (arg == "--bin-dir") o.bin_dir = string_arg(argc, argv, i, "--bin-dir");
  else if (arg == "--step-timeout-s") o.step_timeout = std::chrono::seconds(positive_arg(argc, argv, i, "--step-timeout-s"));
  else return false;
  return true;
}

void note(const CommonOptions& o, const std::string& what) {
  if (o.progress) std::fprintf(stderr, "kda-bench: %s\n", what.c_str());
}

void start_desk(Desk& desk, CommonOptions& o, const std::string& prefix, const std::string& name) {
  o.progress = !o.json || isatty(2);
  std::signal(SIGPIPE, SIG_IGN);
  desk.bin_dir = o.bin_dir;
  desk.step_timeout = o.step_timeout;
  desk.start(prefix, name);
}

}  // namespace kda::bench
