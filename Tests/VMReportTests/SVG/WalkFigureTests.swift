import Foundation
import Testing
import VMExperiments
import VMMapCore

@testable import VMReport

@Suite struct WalkFigureTests {
  /// A walk as `--walk --json` writes it: a present 4 KiB page whose frame is hidden (no
  /// CAP_SYS_ADMIN), under a label with markup and an escape character.
  static let hiddenFrame = """
    {"address":"0x7fff99ce6e80","label":"<script>\\u001b[31m","canonical":true,"userSpace":true,
     "signBits":{"high":63,"low":48,"value":0},
     "steps":[
      {"level":"PGD","intelName":"PML4","index":255,"bits":{"high":47,"low":39,"value":255},"entrySpan":549755813888,"spanStart":"0x7f8000000000","spanEnd":"0x800000000000","mappedPagesBelow":7968,"isLeaf":false,"usedForThisAddress":true},
      {"level":"PUD","intelName":"PDPT","index":510,"bits":{"high":38,"low":30,"value":510},"entrySpan":1073741824,"spanStart":"0x7fff80000000","spanEnd":"0x7fffc0000000","mappedPagesBelow":6,"isLeaf":false,"usedForThisAddress":true},
      {"level":"PMD","intelName":"PD","index":206,"bits":{"high":29,"low":21,"value":206},"entrySpan":2097152,"spanStart":"0x7fff99c00000","spanEnd":"0x7fff99e00000","mappedPagesBelow":6,"isLeaf":false,"usedForThisAddress":true},
      {"level":"PTE","intelName":"PT","index":230,"bits":{"high":20,"low":12,"value":230},"entrySpan":4096,"spanStart":"0x7fff99ce6000","spanEnd":"0x7fff99ce7000","mappedPagesBelow":1,"isLeaf":true,"usedForThisAddress":true}],
     "pageOffset":{"high":11,"low":0,"value":3712},"mappedPageSize":4096,"leafLevel":"PTE",
     "page":{"pagemap":"0x8100000000000000","present":true,"swapped":false,"exclusive":true,"fileOrShared":false,"uffdWriteProtected":false},
     "accesses":[],"conclusion":"Present."}
    """

  @Test func hiddenFrameAndHostileLabelValidate() throws {
    let walk = try JSONDecoder().decode(AddressWalk.self, from: Data(Self.hiddenFrame.utf8))
    let figure = try WalkFigure(title: "walk <&>", walks: [walk, walk], levels: 4).render()
    keepForInspection(figure, as: "walk")
    let text = String(decoding: figure.svg, as: UTF8.self)
    #expect(!text.contains("\u{1b}") && !text.contains("<script>"))
    #expect(text.contains("frame hidden") && text.contains("PTE[230]"))
    #expect(text.contains("7,968 pages below") && text.contains("1 page below"))
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    #expect(try WalkFigure(title: "walk <&>", walks: [walk, walk], levels: 4).render() == figure)
  }
}
