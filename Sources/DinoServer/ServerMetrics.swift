import Foundation
import Hummingbird
import Prometheus

/// The server's Prometheus metrics (`GET /metrics`), kept in a registry of its own rather than the process-wide
/// swift-metrics backend, so several servers in one process (the tests) do not share counters.
final class ServerMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    /// Images in the store, set when metrics are read.
    let images: Gauge
    /// Images admitted to the pipeline and not yet embedded (decoding, waiting for or in the encoder).
    let queueDepth: Gauge
    /// Images through the encoder, and forward passes run (their ratio is the mean dynamic batch).
    let embedded: Counter
    let forwardPasses: Counter
    /// Requests turned away with 503 because the queue was full.
    let rejected: Counter
    /// Images per group commit.
    let commitBatch: ValueHistogram
    /// Thumbnails decoded from files since the server started (cache hits excluded), set when metrics are read.
    let thumbnailsMade: Gauge

    static let latencyBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
        .seconds(10), .seconds(30),
    ]

    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "dinosearch", metricName: metric, unitName: unit, helpText: help)
    }
    private static var requests: MetricNameDescriptor { name("http_requests", "total", "HTTP requests answered, by method, route and status.") }
    private static var latency: MetricNameDescriptor { name("http_request_duration", "seconds", "Time to answer a request, by route.") }

    init() {
        images = registry.makeGauge(descriptor: Self.name("images", "count", "Images in the store."))
        thumbnailsMade = registry.makeGauge(
            descriptor: Self.name("thumbnails_made", "count", "Thumbnails decoded from files since the server started."))
        queueDepth = registry.makeGauge(
            descriptor: Self.name("inference_queue_depth", "images", "Images admitted and not yet embedded."))
        embedded = registry.makeCounter(descriptor: Self.name("embedded_images", "total", "Images through the encoder."))
        forwardPasses = registry.makeCounter(
            descriptor: Self.name("forward_passes", "total", "Encoder forward passes (each a batch of waiting images)."))
        rejected = registry.makeCounter(
            descriptor: Self.name("rejected_requests", "total", "Requests answered 503 because the queue was full."))
        commitBatch = registry.makeValueHistogram(
            descriptor: Self.name("commit_batch", "images", "Images per group commit."), buckets: [1, 2, 4, 8, 16, 32, 64, 128])
    }

    /// Counts a finished request and its latency, by route pattern (never by raw path: keys are private).
    func record(method: HTTPRequest.Method, route: String, status: Int, duration: Duration) {
        registry.makeCounter(
            descriptor: Self.requests,
            labels: [("method", method.rawValue), ("route", route), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(descriptor: Self.latency, labels: [("route", route)], buckets: Self.latencyBuckets)
            .recordNanoseconds(duration.nanoseconds)
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Records every request in `ServerMetrics`.
struct MetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(method: request.method, route: context.endpointPath ?? "unmatched",
                       status: response.status.code, duration: ContinuousClock.now - start)
        return response
    }
}
