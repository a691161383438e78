import DinoSearch
import Hummingbird
import Logging
import ServiceLifecycle

/// The dinosearch HTTP service for `engine`: routes, authentication, limits, metrics, and a service that saves
/// the store's index when the server stops. The executable only parses options and runs it:
///
/// ```swift
/// let engine = try SearchEngine(store: "/var/lib/photos/index", model: "/models/dinov2-small")
/// let app = try buildApplication(engine: engine, configuration: ServerConfiguration(port: 7878))
/// try await app.runService()      // SIGTERM/SIGINT: stop accepting, finish requests, save, return
/// ```
/// - Throws: `ServerError` for settings that `ServerConfiguration.validate()` refuses.
public func buildApplication(
    engine: SearchEngine, configuration: ServerConfiguration, logger: Logger = Logger(label: "dinosearch.serve"),
    onServerRunning: @escaping @Sendable (_ port: Int) async -> Void = { _ in }
) throws(ServerError) -> some ApplicationProtocol {
    try configuration.validate()
    let metrics = ServerMetrics()
    let pipeline = ImagePipeline(engine: engine, configuration: configuration, metrics: metrics)
    let maxUpload = configuration.maxUpload

    let thumbnails = Thumbnails(store: engine.store)

    let router = Router()
    router.add(middleware: MetricsMiddleware(metrics: metrics))
    router.add(middleware: ErrorMiddleware())
    if configuration.apiKey == nil { router.add(middleware: BrowserGuard(listeningOn: configuration.host)) }
    let system = SystemController<BasicRequestContext>(engine: engine, metrics: metrics, thumbnails: thumbnails)
    system.addOpenRoutes(to: router)
    if configuration.userInterface { UIRoutes.addRoutes(to: router) }

    let v1 = router.group("v1").add(middleware: AuthMiddleware(apiKey: configuration.apiKey, readKey: configuration.readKey))
    system.addRoutes(to: v1)
    ImagesController(
        pipeline: pipeline, maxUpload: maxUpload, thumbnails: configuration.keepsUploadThumbnails ? thumbnails : nil
    ).addRoutes(to: v1)
    SearchController(pipeline: pipeline, maxUpload: maxUpload).addRoutes(to: v1)
    EmbedController(pipeline: pipeline, maxUpload: maxUpload).addRoutes(to: v1)
    CurationController(engine: engine, maxUpload: maxUpload).addRoutes(to: v1)
    FilesController(engine: engine, thumbnails: thumbnails).addRoutes(to: v1)
    let store = engine.store
    let clusterJob = BackgroundJob<KMeansParameters, Clustering>(
        operation: "clusters", store: store,
        key: { "\($0.clusters)/\($0.seed)/\($0.iterations)/\($0.pointsPerCentroid)" },
        stored: { try store.cachedClusterIfCurrent($0) },
        compute: { parameters, progress in try await store.cachedCluster(parameters, progress: progress) })
    let duplicateJob = BackgroundJob<Float, DuplicateReviewController<BasicRequestContext>.Review>(
        operation: "duplicates", store: store, key: { "\($0)" },
        compute: { threshold, progress in .init(try await store.duplicates(DuplicateParameters(threshold: threshold), progress: progress)) })
    ClusterListingController(engine: engine, jobs: clusterJob, all: [clusterJob, duplicateJob]).addRoutes(to: v1)
    DuplicateReviewController(
        pipeline: pipeline, thumbnails: thumbnails, job: duplicateJob, decisions: ReviewDecisions(store: store),
        allowFileChanges: configuration.allowFileChanges
    ).addRoutes(to: v1)
    MapsController(pipeline: pipeline, thumbnails: thumbnails, maxUpload: maxUpload).addRoutes(to: v1)

    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dinosearch"),
        services: [StoreService(store: engine.store, logger: logger)],
        onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? configuration.port) },
        logger: logger)
}

/// Saves the store's index file once the server has stopped (services stop in reverse order, so the HTTP server
/// has finished every request by then). Committed images are durable without it; it only spares the next start
/// the replay of the change log.
struct StoreService: Service {
    let store: Store
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do {
            try store.flush()
            logger.info("store saved")
        } catch {
            logger.error("saving the store's index failed: \(error) (nothing committed is lost: it is replayed on the next start)")
        }
    }
}
