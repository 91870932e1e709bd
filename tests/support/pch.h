// The precompiled header of every test binary and kda-bench (tests/CMakeLists.txt,
// target kda_test_pch): the standard, gtest, Boost.Asio, protobuf and JSON
// headers that test files would otherwise each parse again (~250k lines, a
// second or two of every test file's compile). Only headers from outside the
// tests belong here; a test file still includes what it uses, so it builds
// the same without this header.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "kda/core/asio.h"
#include "kda/proto/kda.pb.h"
