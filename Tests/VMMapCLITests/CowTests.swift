import Foundation
import Glibc
import Testing
import VMExperiments
import VMMapTestSupport

/// `vmmap --cow`: a real fork, a real write, and the kernel's view of both processes.
@Suite struct CowTests {
  static let framesVisible = geteuid() == 0

  func runCow() throws -> CowReport {
    let r = try vmmap("--cow", "--json")
    #expect(r.status == 0, "\(r.stderr)")
    return try JSONDecoder().decode(CowReport.self, from: r.stdout)
  }

  func stages(_ report: CowReport) throws -> (CowStage, CowStage, CowStage) {
    #expect(report.stages.map(\.stage) == CowStageName.allCases)
    return (
      try #require(report.stage(.beforeFork)), try #require(report.stage(.afterFork)),
      try #require(report.stage(.afterChildWrite))
    )
  }

  /// The frame in a raw pagemap entry (bits 0–54), read independently of `CowPage.frame`.
  func frame(inEntry entry: String) -> UInt64? {
    guard let raw = UInt64(entry.dropFirst(2), radix: 16), raw & (1 << 63) != 0 else { return nil }
    let pfn = raw & ((1 << 55) - 1)
    return pfn == 0 ? nil : pfn
  }

  @Test(.enabled(if: CowTests.framesVisible, "frame numbers need CAP_SYS_ADMIN"))
  func framesAreSharedThenOnePageIsCopied() throws {
    let report = try runCow()
    let (before, forked, written) = try stages(report)
    let forkedChild = try #require(forked.child)
    let writtenChild = try #require(written.child)
    #expect(report.framesVisible)
    #expect(report.region.pages == 2560 && report.region.size == 10 << 20)

    // Before the fork: one mapping of the frame, exclusive.
    let original = try #require(before.parent.page0.frame)
    #expect(before.parent.page0.mapCount == 1)
    #expect(before.parent.page0.exclusive)

    // After the fork: the same frame in both, mapped twice, exclusive in neither.
    #expect(forked.parent.page0.frame == original)
    #expect(forkedChild.page0.frame == original)
    #expect(forked.parent.page0.mapCount == 2 && forkedChild.page0.mapCount == 2)
    #expect(!forked.parent.page0.exclusive && !forkedChild.page0.exclusive)
    let shared = try #require(forked.frames)
    #expect(shared.shared == 2560 && shared.differing == 0 && shared.incomparable == 0)

    // After the child's write: the child has a new frame, both counts back to 1.
    let copy = try #require(writtenChild.page0.frame)
    #expect(written.parent.page0.frame == original)
    #expect(copy != original)
    #expect(written.parent.page0.mapCount == 1 && writtenChild.page0.mapCount == 1)
    #expect(written.parent.page0.exclusive && writtenChild.page0.exclusive)
    let compared = try #require(written.frames)
    #expect(compared.differing == 1 && compared.differingPages == [0])
    #expect(compared.shared == 2559 && compared.incomparable == 0)
    #expect(report.pagesCopied == 1)
    #expect(report.childWriteMinorFaults == 1)

    // The parent's own write afterwards: still write-protected (one fault), but the frame is
    // mapped once, so the kernel keeps it instead of copying.
    let parentWrite = report.parentWrite
    #expect(parentWrite.minorFaults == 1)
    #expect(parentWrite.frameBefore == original && parentWrite.frameAfter == original)
    #expect(parentWrite.reused == true)
    #expect(parentWrite.mapCountAfter == 1 && parentWrite.exclusiveAfter)

    // The child's own reading of /proc/self/pagemap agrees with the parent's of its pagemap.
    for (view, label) in [(forkedChild, "after fork"), (writtenChild, "after write")] {
      let own = try #require(view.selfReported)
      #expect(own.frame == view.page0.frame, "\(label)")
      #expect(own.mapCount == view.page0.mapCount, "\(label)")
      #expect(own.exclusive == view.page0.exclusive, "\(label)")
      #expect(frame(inEntry: own.pagemapEntry).map { "0x" + String($0, radix: 16) } == own.frame)
    }
  }

  @Test func valuesAreTheParentsAndTheChilds() throws {
    let report = try runCow()
    let (before, forked, written) = try stages(report)
    #expect(report.initialValue == "0xDEADBEEF" && report.writtenValue == "0xCAFEBABE")
    #expect(before.parent.page0.value == "0xDEADBEEF")
    #expect(forked.parent.page0.value == "0xDEADBEEF")
    #expect(forked.child?.page0.value == "0xDEADBEEF")
    #expect(written.parent.page0.value == "0xDEADBEEF")
    #expect(written.child?.page0.value == "0xCAFEBABE")
    #expect(report.childExitStatus == 0)
    #expect(report.parentPID != report.childPID)
    // A private, writable VMA: that, not a bit in the page table, is what makes it copy-on-write.
    #expect(report.region.permissions == "rw-p")
    #expect(report.region.vmFlags.contains("wr") && report.region.vmFlags.contains("mw"))
    #expect(!report.region.vmFlags.contains("sh"))
    if !Self.framesVisible {
      // Never a fake frame.
      #expect(!report.framesVisible && report.framesNote != nil && report.pagesCopied == nil)
      #expect(report.stages.allSatisfy { $0.parent.page0.frame == nil && $0.frames == nil })
    }
  }

  /// PSS shows the sharing; RSS does not add up across processes.
  @Test func pssOfTheRegionIsOneCopyThenOnePageMore() throws {
    let report = try runCow()
    let (before, forked, written) = try stages(report)
    let forkedChild = try #require(forked.child)
    let writtenChild = try #require(written.child)
    let size = report.region.size
    let page = report.pageSize
    #expect(before.parent.region.rss == size && before.parent.region.pss == size)
    for view in [forked.parent, forkedChild, written.parent, writtenChild] {
      #expect(view.region.rss == size, "every page stays resident in both")
    }
    // Right after the fork each process carries half of every page.
    #expect(forked.parent.region.pss == size / 2)
    #expect(forkedChild.region.pss == size / 2)
    #expect(forked.parent.region.pss + forkedChild.region.pss == size)
    // After the write: 2559 shared pages at half each, plus one whole private page each.
    #expect(written.parent.region.pss + writtenChild.region.pss == size + page)
    #expect(written.parent.region.pss == (size - page) / 2 + page)
    // Whole processes: smaps_rollup's PSS of each is at most its RSS.
    for view in [before.parent, forked.parent, forkedChild, written.parent, writtenChild] {
      #expect(view.process.pss <= view.process.rss && view.process.rss >= size)
    }
  }

  /// Without CAP_SYS_ADMIN pagemap reads frame 0 and kpagecount is closed: the report says
  /// so and shows no frame, while PSS and the exclusive bit still show the sharing.
  @Test(.enabled(if: CowTests.framesVisible, "becoming another user needs root"))
  func withoutPrivilegeFramesAreHiddenNotFaked() throws {
    // The binary is copied where nobody may run it (the checkout may sit under a private home).
    let dir = "/tmp/vmmap-cow-nobody-\(getpid())"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: dir) }
    try FileManager.default.copyItem(atPath: vmmapBinary, toPath: dir + "/vmmap")
    chmod(dir, 0o755)
    chmod(dir + "/vmmap", 0o755)
    // 126 is ETXTBSY: a child that another test forked meanwhile may still hold the copy's
    // descriptor open for writing, until it execs.
    let r = try retryingTextFileBusy { try run(dir + "/vmmap", ["--cow", "--json"], user: 65534) }
    #expect(r.status == 0, "\(r.stderr)")
    let report = try JSONDecoder().decode(CowReport.self, from: r.stdout)
    let (before, forked, written) = try stages(report)
    #expect(!report.framesVisible)
    #expect(report.framesNote?.contains("CAP_SYS_ADMIN") == true)
    #expect(report.pagesCopied == nil)
    #expect(report.parentWrite.reused == nil && report.parentWrite.frameAfter == nil)
    let views =
      [before.parent, forked.parent, written.parent]
      + [forked.child, written.child]
      .compactMap { $0 }
    #expect(views.count == 5)
    for view in views {
      #expect(view.page0.frame == nil && view.page0.mapCount == nil)
      #expect(frame(inEntry: view.page0.pagemapEntry) == nil, "pagemap gave nobody a frame")
    }
    #expect(report.stages.allSatisfy { $0.frames == nil })
    #expect(before.parent.page0.exclusive && !forked.parent.page0.exclusive)
    #expect(written.parent.page0.exclusive && written.child?.page0.exclusive == true)
    #expect(forked.parent.region.pss == report.region.size / 2)
  }

  @Test func textTellsTheStory() throws {
    let r = try vmmap("--cow", "--color", "never")
    #expect(r.status == 0, "\(r.stderr)")
    var lines = [
      "=== COPY-ON-WRITE DEMONSTRATION ===", "Step 1: Parent process (PID ",
      "fills 10 MiB of private memory", "Step 3: fork() → child PID ",
      "region RSS 10,240 KiB, PSS 5,120 KiB", "Region, both: RSS 20,480 KiB",
      "PSS 10,240 KiB = one copy", "region RSS 10,240 KiB, PSS 5,122 KiB",
      "Region, both: PSS 10,244 KiB (+4 KiB: the copied page)",
      "Parent reads 0xDEADBEEF (original), child reads 0xCAFEBABE (its copy)",
      "HOW IT WORKS (x86-64 has no \"COW bit\")", "Sandbox: PID ", "=== END DEMO ===",
    ]
    if Self.framesVisible {
      lines += [
        "kpagecount 2, not exclusive (bit 56 = 0)  ← the SAME frame",
        "kpagecount 1, exclusive (pagemap bit 56 = 1)  ← a NEW frame",
        "All 2,560 pages: 2,559 frames shared, 1 differs (page 0): exactly one page copied (4 KiB)",
        "Step 7: The parent writes 0xDEADBEEF to its page 0 (1 minor fault: its entry was still write-protected)",
        ": reused, no copy",
      ]
    }
    for line in lines { #expect(r.text.contains(line), "missing \(line)") }
  }

  @Test func jsonMatchesItsSchema() throws {
    let out = "/tmp/vmmap-cow-schema-\(getpid()).json"
    defer { unlink(out) }
    let r = try vmmap("--cow", "--json", "-o", out)
    #expect(r.status == 0, "\(r.stderr)")
    let check = try validate(out, schema: "cow.schema.json")
    #expect(check.status == 0, "\(check.stderr)")
    #expect(check.text == "valid\n")
  }

  @Test func cowGoesAlone() throws {
    for args in [["--cow", "--self"], ["--cow", "--fault", "null"], ["--cow", "--format", "md"]] {
      let r = try run(vmmapBinary, args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stdout.isEmpty)
      #expect(r.stderr.hasPrefix("vmmap: usage: "))
    }
  }
}

/// Validates a JSON file (a document, or an array of them) against `docs/schema/NAME` with
/// Python's jsonschema, every schema of the directory registered for `$ref`s.
func validate(_ path: String, schema: String) throws -> RunResult {
  try run(
    "/usr/bin/env",
    [
      "python3", "-c",
      """
      import glob, json, os, sys, jsonschema, referencing
      root = sys.argv[2]
      schemas = {os.path.basename(p): json.load(open(p)) for p in glob.glob(root + "*.schema.json")}
      registry = referencing.Registry().with_resources(
          [(s["$id"], referencing.Resource.from_contents(s)) for s in schemas.values()])
      validator = jsonschema.Draft202012Validator(schemas[sys.argv[3]], registry=registry)
      document = json.load(open(sys.argv[1]))
      for item in document if isinstance(document, list) else [document]:
          validator.validate(item)
      print("valid")
      """,
      path, repositoryRoot + "/docs/schema/", schema,
    ])
}
