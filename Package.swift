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
    // zlib, to read /proc/config.gz (the kernel configuration a report lists).
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

    // read: procfs and ELF readers, byte-level parsers, classification, models.
    .target(name: "VMMapCore", dependencies: ["CVMProbes", "CZlib"]),
    // experiment: sandboxed children (and the specimen process).
    .target(name: "VMExperiments", dependencies: ["VMMapCore", "CVMProbes"]),
    // The Markdown templates (templates/*.mustache), embedded as string literals at build time by
    // the EmbedTemplates plugin, so the binary renders from any directory (SWIFT-NOTES.md §6).
    // The host tool uses @main: sanitizer builds pass -parse-as-library to every executable.
    .executableTarget(name: "EmbedTemplatesTool"),
    .plugin(
      name: "EmbedTemplates", capability: .buildTool(), dependencies: ["EmbedTemplatesTool"]),
    .target(name: "VMMapTemplates", path: "templates", plugins: ["EmbedTemplates"]),

    // render: terminal text, JSON, Markdown, escaping; later HTML/SVG.
    .target(
      name: "VMReport",
      dependencies: [
        "VMMapCore", "VMExperiments", "CLibXML2", "CCmark", "VMMapTemplates",
      ]),

    // The commit `vmmap --version` names, written before every build (git, or "unknown").
    .plugin(name: "BuildInfo", capability: .buildTool()),
    .executableTarget(
      name: "vmmap",
      dependencies: [
        "VMMapCore", "VMExperiments", "VMReport",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      plugins: ["BuildInfo"]),

    // libFuzzer target over the maps/smaps parsers (Scripts/fuzz builds it with --sanitize fuzzer).
    .executableTarget(name: "FuzzMaps", dependencies: ["VMMapCore"]),

    // Shared by the test targets: the specimen, idle processes, running vmmap.
    .target(
      name: "VMMapTestSupport", dependencies: ["VMMapCore", "VMExperiments", "CVMProbes"],
      path: "Tests/VMMapTestSupport"),
    .testTarget(
      name: "VMMapCoreTests", dependencies: ["VMMapCore", "VMExperiments", "VMMapTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "VMReportTests",
      dependencies: ["VMReport", "VMMapCore", "CCmark", "CLibXML2", "VMMapTestSupport"]),
    .testTarget(
      name: "VMMapCLITests",
      dependencies: ["VMMapCore", "VMReport", "VMExperiments", "VMMapTestSupport"]),
  ]
)
