#include "kda/bt/bus_thread.h"

#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <future>

#include <sdbus-c++/Error.h>

namespace kda::bt {

Result<std::unique_ptr<BusThread>> BusThread::system_bus() {
  try {
    return std::unique_ptr<BusThread>(new BusThread(sdbus::createSystemBusConnection()));
  } catch (const sdbus::Error& e) {
    return fail(Errc::connect_failed,
                "cannot connect to the system D-Bus: " + e.getMessage() + " (" + e.getName() + ")");
  }
}

BusThread::BusThread(std::unique_ptr<sdbus::IConnection> connection)
    : connection_(std::move(connection)), work_(io_.get_executor()), timeout_(io_), grace_(io_) {
  const int fd = ::dup(connection_->getEventLoopPollData().fd);
  if (fd >= 0) bus_fd_.emplace(io_, fd);
  request_pump();
  thread_ = std::thread([this] { io_.run(); });
}

BusThread::~BusThread() { stop(); }

void BusThread::post(std::function<void()> job) {
  asio::post(io_, [this, job = std::move(job)] {
    try {
      job();
    } catch (const sdbus::Error&) {
      // A job whose send failed leaves its waiters to their own deadlines.
    }
    pump();
  });
}

void BusThread::request_pump() {
  // Only touched on the bus thread, except before the thread starts.
  if (pump_posted_) return;
  pump_posted_ = true;
  asio::post(io_, [this] {
    pump_posted_ = false;
    pump();
  });
}

void BusThread::pump() {
  if (stopped_) return;
  try {
    while (connection_->processPendingRequest()) {
    }
  } catch (const sdbus::Error&) {
    // The connection is gone (bus daemon exited): nothing more will come.
    if (finish_) finish();
    return;
  }
  if (finish_ && connection_->getEventLoopPollData().timeout_usec == UINT64_MAX) {
    finish();
    return;
  }
  arm();
}

void BusThread::arm() {
  if (!bus_fd_) return;
  const auto poll = connection_->getEventLoopPollData();
  if ((poll.events & POLLIN) && !read_armed_) {
    read_armed_ = true;
    bus_fd_->async_wait(asio::posix::descriptor_base::wait_read, [this](const boost::system::error_code& ec) {
      read_armed_ = false;
      if (!ec) pump();
    });
  }
  if ((poll.events & POLLOUT) && !write_armed_) {
    write_armed_ = true;
    bus_fd_->async_wait(asio::posix::descriptor_base::wait_write, [this](const boost::system::error_code& ec) {
      write_armed_ = false;
      if (!ec) pump();
    });
  }
  // sd-bus gives an absolute CLOCK_MONOTONIC deadline (method call timeouts).
  if (poll.timeout_usec != UINT64_MAX) {
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    const std::uint64_t now_usec = std::uint64_t(now.tv_sec) * 1000000u + std::uint64_t(now.tv_nsec) / 1000u;
    const auto wait = std::chrono::microseconds(poll.timeout_usec > now_usec ? poll.timeout_usec - now_usec : 0);
    timeout_.expires_after(wait);
    timeout_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) pump();
    });
  }
}

void BusThread::finish() {
  auto finished = std::move(finish_);
  finish_ = nullptr;
  stopped_ = true;
  timeout_.cancel();
  grace_.cancel();
  if (bus_fd_) bus_fd_->cancel();
  work_.reset();
  if (finished) finished();
}

void BusThread::stop(std::function<void()> teardown, std::chrono::milliseconds grace) {
  if (!thread_.joinable()) return;
  std::promise<void> done;
  asio::post(io_, [&, teardown = std::move(teardown)] {
    if (teardown) {
      try {
        teardown();
      } catch (const sdbus::Error&) {
      }
    }
    // pump() finishes once the teardown's calls (unregister, restore
    // settings) are answered; the grace timer if they never are.
    finish_ = [&done] { done.set_value(); };
    grace_.expires_after(grace);
    grace_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && finish_) finish();
    });
    pump();
  });
  done.get_future().wait();
  io_.stop();
  thread_.join();
}

}  // namespace kda::bt
