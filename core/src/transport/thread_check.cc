#include "kda/core/thread_check.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace kda {
namespace {

void abort_on_broken_rule(const char* rule, const char* file, int line) {
  std::fprintf(stderr, "kda: thread rule broken at %s:%d: %s\n", file, line, rule);
  std::abort();
}

std::atomic<ThreadRuleHandler> handler{abort_on_broken_rule};

}  // namespace

bool running_on(const asio::any_io_executor& executor) {
  if (!executor) return true;
  // Every executor on an io_context (its own, a strand over it, a tracked
  // copy) names the context, and the context's scheduler knows whether this
  // thread is inside its run(): one question for every executor type.
  auto& context = asio::query(executor, asio::execution::context);
  using Scheduler = asio::detail::io_context_impl;
  if (!asio::has_service<Scheduler>(context)) return true;
  return asio::use_service<Scheduler>(context).can_dispatch();
}

ThreadRuleHandler set_thread_rule_handler(ThreadRuleHandler next) {
  return handler.exchange(next ? next : abort_on_broken_rule);
}

void thread_rule_broken(const char* rule, const char* file, int line) { handler.load()(rule, file, line); }

}  // namespace kda
