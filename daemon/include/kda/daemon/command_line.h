// How kdad, kdactl and kda-target read their command line: CLI11 at its seam.
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <optional>
#include <string>

#include "kda/core/version.h"

namespace kda::daemon {

inline constexpr int kExitUsage = 2;  // every kda program's status for a usage error

// Parses argv, with --version added. nullopt: go on. Otherwise the exit
// status: 0 after --help or --version, 2 after a usage error (CLI11 has
// printed what is wrong).
inline std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv) {
  const std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "kda";
  app.set_version_flag("--version", program + " " + std::string(kVersion), "Print the version and exit");
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }
  return std::nullopt;
}

}  // namespace kda::daemon
