import Glibc
import Testing

@testable import VMMapCore

@Suite struct MapFilesResolverTests {
  /// A live file named `x (deleted)`, a deleted file, and a name with a newline: the maps text
  /// is ambiguous for all three; map_files settles each.
  @Test func resolvesAmbiguousNames() throws {
    guard access("/usr/bin/python3", X_OK) == 0 else { return }
    var template = Array("/tmp/vmmap-mapfiles-XXXXXX".utf8CString)
    let dir = try #require(template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) })
    let path = String(cString: dir)
    let script = """
      import mmap, os, sys, time
      d = sys.argv[1]
      maps = []
      for name in ['live (deleted)', 'gone', 'new\\nline']:
          p = os.path.join(d, name)
          with open(p, 'wb') as f: f.write(b'x' * 8192)
          fd = os.open(p, os.O_RDONLY)
          maps.append(mmap.mmap(fd, 8192, prot=mmap.PROT_READ))
          maps.append(mmap.mmap(fd, 4096, prot=mmap.PROT_READ))
      os.unlink(os.path.join(d, 'gone'))
      print('READY', flush=True)
      time.sleep(30)
      """
    let child = try TestSupport.spawn(["/usr/bin/python3", "-c", script, path], pipeStdout: true)
    defer {
      TestSupport.killAndReap(child.pid)
      for name in ["live (deleted)", "new\nline"] { unlink("\(path)/\(name)") }
      rmdir(path)
    }
    _ = TestSupport.readUntil(child.stdout, marker: "READY")
    close(child.stdout)
    let reader = try ProcessReader(pid: child.pid)
    var regions = try reader.readMappings().map { Region(mapping: $0) }
    let outcome = MapFilesResolver(reader: reader).resolve(&regions)
    #expect(!outcome.permissionDenied)
    let fileBacked = regions.filter { $0.mapping.inode != 0 }
    #expect(outcome.resolved == fileBacked.count)
    #expect(outcome.lookups < fileBacked.count, "one lookup per (device, inode, name)")

    let live = regions.filter { $0.mapping.rawName == PathBytes("\(path)/live (deleted)") }
    #expect(live.count == 2)
    for r in live {
      #expect(r.mapping.name.isDeletedFile, "the text says deleted")
      #expect(r.resolved?.deleted == false && !r.isDeleted, "map_files says it is not")
      #expect(r.resolved?.path == PathBytes("\(path)/live (deleted)"))
    }
    let gone = regions.filter { $0.mapping.rawName == PathBytes("\(path)/gone (deleted)") }
    #expect(gone.count == 2)
    for r in gone {
      #expect(r.resolved?.deleted == true && r.isDeleted)
      #expect(r.resolved?.path == PathBytes("\(path)/gone"))
    }
    let newline = regions.filter { $0.mapping.rawName == PathBytes("\(path)/new\\012line") }
    #expect(newline.count == 2)
    #expect(newline.allSatisfy { $0.resolved?.path == PathBytes("\(path)/new\nline") })
    #expect(newline.allSatisfy { $0.filePath == PathBytes("\(path)/new\nline") })
  }
}
