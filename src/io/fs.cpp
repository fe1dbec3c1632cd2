#include "setok/io/fs.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "setok/runtime/error.h"

namespace setok::io {

namespace {
std::string errno_text() {
  return std::strerror(errno);
}
}  // namespace

std::string read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw Error(path.string() + ": no such file");
  if (fs::is_directory(path, ec)) throw Error(path.string() + ": is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path.string() + ": cannot open for reading: " + errno_text());
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(path.string() + ": read error");
  return buffer.str();
}

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path.string() + ": cannot open to sync: " + errno_text());
  const int rc = ::fsync(fd);
  const int saved = errno;
  ::close(fd);
  // Some file systems refuse fsync on directories (EINVAL); the rename is still atomic there.
  if (rc != 0 && saved != EINVAL) {
    errno = saved;
    throw Error(path.string() + ": fsync failed: " + errno_text());
  }
}

fs::path temporary_sibling(const fs::path& path) {
  static std::atomic<uint64_t> counter{0};
  return path.parent_path() / ("." + path.filename().string() + ".tmp-" +
                               std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

void write_file_atomic(const fs::path& path, std::string_view content) {
  AtomicFileWriter writer(path);
  writer.write(content);
  writer.commit();
}

AtomicFileWriter::AtomicFileWriter(fs::path path) : path_(std::move(path)) {
  const fs::path dir = path_.parent_path().empty() ? fs::path(".") : path_.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw Error(path_.string() + ": cannot write, folder " + dir.string() + " does not exist");
  }
  tmp_ = temporary_sibling(path_);
  file_ = std::fopen(tmp_.c_str(), "wb");
  if (file_ == nullptr) throw Error(tmp_.string() + ": cannot create: " + errno_text());
}

AtomicFileWriter::~AtomicFileWriter() {
  if (file_ != nullptr) {
    std::fclose(file_);
    std::error_code ec;
    fs::remove(tmp_, ec);
  }
}

void AtomicFileWriter::write(const void* data, size_t size) {
  if (file_ == nullptr) throw Error(path_.string() + ": write after commit");
  if (size > 0 && std::fwrite(data, 1, size, file_) != size) {
    throw Error(path_.string() + ": write failed: " + errno_text());
  }
}

void AtomicFileWriter::commit() {
  if (file_ == nullptr) throw Error(path_.string() + ": committed twice");
  if (std::fflush(file_) != 0 || ::fsync(fileno(file_)) != 0) {
    throw Error(path_.string() + ": flush failed: " + errno_text());
  }
  std::fclose(file_);
  file_ = nullptr;
  std::error_code ec;
  fs::rename(tmp_, path_, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp_, ec);
    throw Error(path_.string() + ": cannot move temporary file into place: " + reason);
  }
  fsync_path(path_.parent_path().empty() ? fs::path(".") : path_.parent_path());
}

}  // namespace setok::io
