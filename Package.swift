// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "vmmap",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "vmmap", targets: ["vmmap"]),
    .library(name: "VMMapCore", targets: ["VMMapCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // C: only what Swift cannot do safely (fault recovery, fork, ioctl structs).
    .target(name: "CVMProbes"),
    .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
    .systemLibrary(name: "CCmark", pkgConfig: "libcmark", providers: [.apt(["libcmark-dev"])]),

    // read: procfs and ELF readers, byte-level parsers, classification, models.
    .target(name: "VMMapCore", dependencies: ["CVMProbes"]),
    // experiment: sandboxed children (and the specimen process).
    .target(name: "VMExperiments", dependencies: ["VMMapCore", "CVMProbes"]),
    // render: terminal text, JSON, escaping; later Markdown/HTML/SVG.
    .target(name: "VMReport", dependencies: ["VMMapCore", "CLibXML2", "CCmark"]),

    .executableTarget(
      name: "vmmap",
      dependencies: [
        "VMMapCore", "VMExperiments", "VMReport", "CVMProbes",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),

    // libFuzzer target over the maps/smaps parsers (Scripts/fuzz builds it with --sanitize fuzzer).
    .executableTarget(name: "FuzzMaps", dependencies: ["VMMapCore"]),

    // Shared by the test targets: the specimen, idle processes, running vmmap.
    .target(
      name: "VMMapTestSupport", dependencies: ["VMMapCore", "CVMProbes"],
      path: "Tests/VMMapTestSupport"),
    .testTarget(
      name: "VMMapCoreTests", dependencies: ["VMMapCore", "VMMapTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(name: "VMReportTests", dependencies: ["VMReport", "VMMapCore"]),
    .testTarget(
      name: "VMMapCLITests", dependencies: ["VMMapCore", "VMReport", "VMMapTestSupport"]),
  ]
)
