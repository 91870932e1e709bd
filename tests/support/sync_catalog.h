// kdad's Catalog (kda/daemon/catalog.h) driven from a test: its home is an
// io_context of the test's own, run while a change is under way, so that
// a test calls add/remove/... as plain functions. Each takes the customer
// first, or without it works on the implicit one (kDirectCustomer).
#pragma once

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "kda/daemon/catalog.h"

namespace kda::test {

class SyncCatalog {
 public:
  // A catalog on `options` (its home is set here), or why not.
  static Result<SyncCatalog> open(daemon::Catalog::Options options, std::vector<std::string>& errors) {
    SyncCatalog out;
    options.home = out.io_->get_executor();
    auto c = daemon::Catalog::open(std::move(options), errors);
    if (!c) return tl::unexpected(c.error());
    out.catalog_ = std::move(*c);
    return out;
  }
  SyncCatalog(SyncCatalog&&) = default;
  SyncCatalog& operator=(SyncCatalog&&) = default;
  ~SyncCatalog() {
    if (io_) io_->poll();  // refreshes under way end before the catalog goes
  }

  daemon::Catalog& operator*() const { return *catalog_; }
  daemon::Catalog* operator->() const { return catalog_.get(); }
  using Profile = v1::EnrollmentProfile;
  std::vector<const Profile*> list(const std::string& customer = "") const { return catalog_->list(customer); }
  const Profile* find(const std::string& name) const { return find("", name); }
  const Profile* find(const std::string& customer, const std::string& name) const {
    return catalog_->find(customer, name);
  }
  const Profile& default_profile(const std::string& customer = "") const {
    return catalog_->default_profile(customer);
  }
  bool is_default(const std::string& name) const { return is_default("", name); }
  bool is_default(const std::string& customer, const std::string& name) const {
    return catalog_->is_default(customer, name);
  }
  auto placeholders(const std::string& customer = "") const { return catalog_->placeholders(customer); }

  Result<std::string> add(const std::string& json, const std::string& source, bool replace) {
    return add("", json, source, replace);
  }
  Result<std::string> add(const std::string& customer, const std::string& json, const std::string& source,
                          bool replace) {
    return wait(catalog_->add(customer, json, source, replace));
  }
  Result<std::string> edit(const std::string& name, const std::string& fields) { return edit("", name, fields); }
  Result<std::string> edit(const std::string& customer, const std::string& name, const std::string& fields) {
    return wait(catalog_->edit(customer, name, fields));
  }
  Result<std::string> copy(const std::string& name, const std::string& new_name) { return copy("", name, new_name); }
  Result<std::string> copy(const std::string& customer, const std::string& name, const std::string& new_name) {
    return wait(catalog_->copy(customer, name, new_name));
  }
  Result<void> remove(const std::string& name) { return remove("", name); }
  Result<void> remove(const std::string& customer, const std::string& name) {
    return wait(catalog_->remove(customer, name));
  }
  Result<void> select_default(const std::string& name) { return select_default("", name); }
  Result<void> select_default(const std::string& customer, const std::string& name) {
    return wait(catalog_->select_default(customer, name));
  }

  // Runs the home until `done` holds (a change made elsewhere arrived) or
  // `timeout` passes; whether it held.
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > end) return false;
      io_->restart();
      io_->run_one_for(std::chrono::milliseconds(20));
    }
    return true;
  }

 private:
  SyncCatalog() = default;
  template <typename T>
  T wait(asio::awaitable<T> work) {
    auto result = asio::co_spawn(*io_, std::move(work), asio::use_future);
    while (result.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
      io_->restart();
      io_->run_one_for(std::chrono::milliseconds(20));
    }
    return result.get();
  }

  std::unique_ptr<asio::io_context> io_ = std::make_unique<asio::io_context>();
  std::unique_ptr<daemon::Catalog> catalog_;
};

}  // namespace kda::test
