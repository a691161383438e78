// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "dinosearch",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "DinoSearch", targets: ["DinoSearch"]),
        .library(name: "DinoModel", targets: ["DinoModel"]),
        .library(name: "DinoImage", targets: ["DinoImage"]),
        .library(name: "DinoServer", targets: ["DinoServer"]),
        .executable(name: "dinosearch", targets: ["dinosearch"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The HTTP service (`dinosearch serve`): server, graceful shutdown, Prometheus metrics.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        // Test-only: a real HTTP client with a pool of connections for the server's load tests.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.30.0"),
        // Test-only: a real HTTP server on loopback for the model download tests.
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
    ],
    targets: [
        // The C boundary: each target is one thin shim named for what it wraps.
        .target(
            name: "CDinoGEMM",
            linkerSettings: [.linkedLibrary("dnnl"), .linkedLibrary("gomp")]
        ),
        // Which Faiss is linked (built for AVX2, or Debian's generic one) is scripts/faiss.sh's choice, written to
        // dinosearch-faiss.pc; `pkg-config --libs dinosearch-faiss` shows it.
        .systemLibrary(name: "CFaiss", pkgConfig: "dinosearch-faiss", providers: [.apt(["libfaiss-dev"])]),
        .target(name: "CDinoFaiss", dependencies: ["CFaiss"], cxxSettings: [.define("FINTEGER", to: "int")]),
        .target(
            name: "CDinoImage",
            linkerSettings: [
                .linkedLibrary("turbojpeg"), .linkedLibrary("png16"), .linkedLibrary("webp"),
                .linkedLibrary("heif"), .linkedLibrary("avif"), .linkedLibrary("tiff"), .linkedLibrary("gif"),
                .linkedLibrary("raw_r"), .linkedLibrary("jxl"),
            ]
        ),
        .target(name: "CDinoFloat16"),
        // LAPACK's symmetric eigen-decomposition (OpenBLAS ships LAPACK) for the patch-feature PCA.
        .target(name: "CDinoLAPACK", linkerSettings: [.linkedLibrary("openblas")]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),

        // The DINOv2 encoder: depends only on the GEMM shim, so its parity tests build without Faiss or LMDB.
        .target(name: "DinoModel", dependencies: ["CDinoGEMM"]),

        // Image decoding and DINOv2 preprocessing: depends only on the codec shim.
        .target(name: "DinoImage", dependencies: ["CDinoImage"]),

        // The search library: catalog (LMDB), vector index (Faiss), engine.
        .target(
            name: "DinoSearch",
            dependencies: [
                "DinoModel", "DinoImage", "CDinoFaiss", "CDinoFloat16", "CDinoLAPACK", "CLMDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),

        // `dinosearch serve` as a library: `buildApplication(...)` wires the engine into a Hummingbird application.
        .target(
            name: "DinoServer",
            dependencies: [
                "DinoSearch", "DinoImage",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ]
        ),

        .executableTarget(
            name: "dinosearch",
            dependencies: [
                "DinoSearch", "DinoImage", "DinoServer", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),

        .executableTarget(name: "library-example", dependencies: ["DinoSearch"], path: "examples/LibraryExample"),
        .executableTarget(name: "decode-benchmark", dependencies: ["DinoImage"], path: "Benchmarks/DecodeBenchmark"),
        .executableTarget(
            name: "encoder-benchmark", dependencies: ["DinoModel", "CDinoGEMM"], path: "Benchmarks/EncoderBenchmark"),

        .executableTarget(
            name: "store-benchmark", dependencies: ["DinoSearch", "CDinoFaiss"], path: "Benchmarks/StoreBenchmark"),
        .executableTarget(name: "store-curve", dependencies: ["DinoSearch"], path: "Benchmarks/StoreCurve"),
        .executableTarget(name: "store-writer", dependencies: ["DinoSearch"], path: "Benchmarks/StoreWriter"),
        .executableTarget(name: "serve-benchmark", dependencies: ["DinoSearch"], path: "Benchmarks/ServeBenchmark"),

        // What the test targets share: the trait that keeps blocking tests off Swift's cooperative pool.
        .target(name: "DinoTestSupport", path: "Tests/Support"),
        .testTarget(name: "DinoModelTests", dependencies: ["DinoModel", "DinoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "DinoImageTests", dependencies: ["DinoImage", "DinoTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "DinoSearchTests",
            dependencies: ["DinoSearch", "DinoTestSupport", .product(name: "FlyingFox", package: "FlyingFox")],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "DinoServerTests",
            dependencies: [
                "DinoServer", "DinoSearch", "DinoTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
    ]
)
