#if canImport(Glibc)
  import Glibc
#endif

/// Reads a descriptor to EOF through reused buffers and hands each filled buffer to a consumer
/// (a streaming parser), so a 43 MB smaps never sits in memory whole.
///
/// `pipelined` reads on a second thread while the caller parses the previous buffer (double
/// buffering): the kernel's cost of producing smaps text then hides the parse.
struct ChunkedReader {
  /// Bytes per buffer; seq_file returns about one page per `read`, so a buffer takes many reads.
  var bufferSize = 256 * 1024
  /// Read on a second thread while parsing on this one.
  var pipelined = true
  /// Buffers in the ring when pipelined. The reader runs ahead by up to this many buffers, which
  /// must cover the parser's longest pause (growing a 60,000-region array copies ~13 MB and
  /// page-faults twice that: ~15 ms, during which the kernel produces ~4 MB of smaps).
  var slots = 16
  /// Called after each buffer is consumed with the total bytes so far (a test hook).
  var afterChunk: ((Int) -> Void)? = nil

  /// Reads `fd` to EOF; read errors go through `mapError`, consumer errors pass through.
  /// `meanwhile` runs on this thread once the reading has started (before the first buffer
  /// is consumed), so a second, smaller file can be read while the reader thread runs ahead.
  /// Returns the number of bytes read.
  @discardableResult
  func read(
    fd: CInt, mapError: (Errno) -> VMMapError, meanwhile: () -> Void = {},
    consume: (UnsafeRawBufferPointer) throws(VMMapError) -> Void
  ) throws(VMMapError) -> Int {
    if pipelined {
      return try readPipelined(fd: fd, mapError: mapError, meanwhile: meanwhile, consume: consume)
    }
    meanwhile()
    return try readSequential(fd: fd, mapError: mapError, consume: consume)
  }

  private func readSequential(
    fd: CInt, mapError: (Errno) -> VMMapError,
    consume: (UnsafeRawBufferPointer) throws(VMMapError) -> Void
  ) throws(VMMapError) -> Int {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 64)
    defer { buffer.deallocate() }
    var total = 0
    while true {
      let (used, eof, error) = ChunkedReader.fill(fd: fd, buffer)
      if used > 0 {
        try consume(UnsafeRawBufferPointer(rebasing: buffer[0..<used]))
        total += used
        afterChunk?(total)
      }
      if let error { throw mapError(error) }
      if eof { return total }
    }
  }

  /// Reads into `buffer` until it is full, EOF, or an error; returns what it got.
  static func fill(fd: CInt, _ buffer: UnsafeMutableRawBufferPointer) -> (Int, Bool, Errno?) {
    var used = 0
    guard let base = buffer.baseAddress else { return (0, true, nil) }
    while used < buffer.count {
      switch Syscall.read(fd, base + used, buffer.count - used) {
      case .failure(let e): return (used, true, e)
      case .success(0): return (used, true, nil)
      case .success(let n): used += n
      }
    }
    return (used, false, nil)
  }

  private func readPipelined(
    fd: CInt, mapError: (Errno) -> VMMapError, meanwhile: () -> Void,
    consume: (UnsafeRawBufferPointer) throws(VMMapError) -> Void
  ) throws(VMMapError) -> Int {
    let pipe = ReadPipeline(fd: fd, slots: slots, slotSize: bufferSize)
    guard pipe.start() else {
      // No thread: read on this one.
      meanwhile()
      return try readSequential(fd: fd, mapError: mapError, consume: consume)
    }
    defer { pipe.stopAndJoin() }
    meanwhile()
    var total = 0
    while true {
      let (slot, used, eof, error) = pipe.takeFilled()
      if used > 0 {
        try consume(UnsafeRawBufferPointer(rebasing: pipe.buffer(slot)[0..<used]))
        total += used
        afterChunk?(total)
      }
      pipe.release(slot)
      if let error { throw mapError(error) }
      if eof { return total }
    }
  }
}

/// A reader thread filling a ring of buffers while the caller empties them.
private final class ReadPipeline: @unchecked Sendable {
  enum SlotState {
    case empty
    case filled(used: Int, eof: Bool, error: Errno?)
  }

  let fd: CInt
  let storage: UnsafeMutableRawBufferPointer
  let slotSize: Int
  var states: [SlotState]
  var stopping = false
  let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
  let cond = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
  var thread: pthread_t?
  var nextToTake = 0

  init(fd: CInt, slots: Int, slotSize: Int) {
    self.fd = fd
    self.slotSize = slotSize
    storage = .allocate(byteCount: slots * slotSize, alignment: 64)
    states = Array(repeating: .empty, count: slots)
    pthread_mutex_init(mutex, nil)
    pthread_cond_init(cond, nil)
  }

  deinit {
    pthread_mutex_destroy(mutex)
    pthread_cond_destroy(cond)
    mutex.deallocate()
    cond.deallocate()
    storage.deallocate()
  }

  func buffer(_ slot: Int) -> UnsafeMutableRawBufferPointer {
    UnsafeMutableRawBufferPointer(rebasing: storage[(slot * slotSize)..<((slot + 1) * slotSize)])
  }

  /// Starts the reader thread; false when it cannot be created.
  func start() -> Bool {
    var t = pthread_t()
    let context = Unmanaged.passRetained(self).toOpaque()
    let rc = pthread_create(
      &t, nil,
      { raw in
        let me = Unmanaged<ReadPipeline>.fromOpaque(raw!).takeRetainedValue()
        me.run()
        return nil
      }, context)
    if rc != 0 {
      Unmanaged<ReadPipeline>.fromOpaque(context).release()
      return false
    }
    thread = t
    return true
  }

  /// The reader thread: fill slots in ring order until EOF, an error, or `stopping`.
  private func run() {
    var slot = 0
    while true {
      pthread_mutex_lock(mutex)
      while case .filled = states[slot], !stopping { pthread_cond_wait(cond, mutex) }
      let stop = stopping
      pthread_mutex_unlock(mutex)
      if stop { return }
      let (used, eof, error) = ChunkedReader.fill(fd: fd, buffer(slot))
      pthread_mutex_lock(mutex)
      states[slot] = .filled(used: used, eof: eof, error: error)
      pthread_cond_broadcast(cond)
      pthread_mutex_unlock(mutex)
      if eof { return }
      slot = (slot + 1) % states.count
    }
  }

  /// Waits for the next filled slot.
  func takeFilled() -> (slot: Int, used: Int, eof: Bool, error: Errno?) {
    pthread_mutex_lock(mutex)
    defer { pthread_mutex_unlock(mutex) }
    while true {
      if case .filled(let used, let eof, let error) = states[nextToTake] {
        let slot = nextToTake
        nextToTake = (nextToTake + 1) % states.count
        return (slot, used, eof, error)
      }
      pthread_cond_wait(cond, mutex)
    }
  }

  /// Gives a consumed slot back to the reader.
  func release(_ slot: Int) {
    pthread_mutex_lock(mutex)
    states[slot] = .empty
    pthread_cond_broadcast(cond)
    pthread_mutex_unlock(mutex)
  }

  /// Tells the reader to stop (it finishes its current fill) and waits for it.
  func stopAndJoin() {
    pthread_mutex_lock(mutex)
    stopping = true
    pthread_cond_broadcast(cond)
    pthread_mutex_unlock(mutex)
    if let thread { pthread_join(thread, nil) }
  }
}
