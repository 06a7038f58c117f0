import Foundation
import Testing
import VMMapCore

@testable import VMReport

/// A small map shaped like a real one (the regions of `sleep`, addresses from this machine).
let sleepLikeRegions: [AddressSpaceFigure.Region] = [
  .init(start: 0x5583_1c40_0000, end: 0x5583_1c40_2000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_2000, end: 0x5583_1c40_6000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_6000, end: 0x5583_1c40_8000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1c40_9000, end: 0x5583_1c40_a000, kind: .executable, label: "/usr/bin/sleep"),
  .init(start: 0x5583_1d8b_3000, end: 0x5583_1d8d_4000, kind: .heap, label: "[heap]"),
  .init(
    start: 0x7f3a_4b60_0000, end: 0x7f3a_4b62_8000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(
    start: 0x7f3a_4b62_8000, end: 0x7f3a_4b7b_d000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(
    start: 0x7f3a_4b7b_d000, end: 0x7f3a_4b81_5000, kind: .sharedLibrary,
    label: "/usr/lib/x86_64-linux-gnu/libc.so.6"),
  .init(start: 0x7f3a_4b81_5000, end: 0x7f3a_4b82_2000, kind: .bss, label: "libc.so.6 .bss"),
  .init(start: 0x7ffd_9b6f_0000, end: 0x7ffd_9b71_1000, kind: .mainStack, label: "[stack]"),
  .init(start: 0x7ffd_9b7c_e000, end: 0x7ffd_9b7d_2000, kind: .vvar, label: "[vvar]"),
  .init(start: 0x7ffd_9b7d_2000, end: 0x7ffd_9b7d_4000, kind: .vdso, label: "[vdso]"),
  .init(
    start: 0xffff_ffff_ff60_0000, end: 0xffff_ffff_ff60_1000, kind: .vsyscall, label: "[vsyscall]"),
]

@Suite struct AddressSpaceFigureTests {
  @Test func validatesAndReparses() throws {
    let figure = try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render()
    keepForInspection(figure, as: "address-space")
    #expect(figure.name == "address-space")
    let svg = try ParsedSVG(figure.svg)
    expectSafeStructure(svg)
    // Same input, same bytes.
    #expect(
      try AddressSpaceFigure(regions: sleepLikeRegions, userSpaceEnd: 1 << 47).render() == figure)
  }
}
