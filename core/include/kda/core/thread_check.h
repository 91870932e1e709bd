// Thread rules checked in code, not only written in comments: a method whose
// rule is "on this executor" starts with KDA_ASSERT_ON(executor). Active in
// debug builds and in sanitizer builds (KDA_THREAD_CHECKS, set by
// core/CMakeLists.txt when KDA_SANITIZE is); compiled out otherwise.
//
// kda runs each io_context on one thread (kdad, kda-target, the tests), and
// that thread is the sequence every rule names: a session's strand, a
// backend's callbacks and kdad's services all live on it.
#pragma once

#include "kda/core/asio.h"

namespace kda {

// True when the calling thread is running `executor`'s io_context (for a
// strand, the io_context beneath it). An executor on another kind of
// context cannot be checked and counts as true.
bool running_on(const asio::any_io_executor& executor);

// What a broken rule does. The default prints the rule and where it broke
// to stderr and aborts; tests install their own to see a violation happen.
// Returns the handler it replaces.
using ThreadRuleHandler = void (*)(const char* rule, const char* file, int line);
ThreadRuleHandler set_thread_rule_handler(ThreadRuleHandler handler);
void thread_rule_broken(const char* rule, const char* file, int line);

#if defined(KDA_THREAD_CHECKS) || !defined(NDEBUG)
constexpr bool kThreadChecks = true;
#define KDA_ASSERT_ON(executor) \
  (::kda::running_on(executor) ? (void)0 : ::kda::thread_rule_broken("called off " #executor, __FILE__, __LINE__))
#else
constexpr bool kThreadChecks = false;
#define KDA_ASSERT_ON(executor) ((void)0)
#endif

}  // namespace kda
