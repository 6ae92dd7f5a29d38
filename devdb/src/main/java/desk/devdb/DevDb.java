package desk.devdb;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousCloseException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreTool;

import de.bwaldvogel.mongo.MongoBackend;
import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.MongoVersion;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Database;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

/**
 * The dev database: a MongoDB wire-protocol server (mongo-java-server) for development and tests.
 *
 * <pre>
 * java -jar devdb.jar --backend memory|h2 [--data-dir DIR] [--port N] [--host 127.0.0.1] [--detached]
 * </pre>
 *
 * <ul>
 * <li>{@code --backend h2} needs {@code --data-dir}; the data lives in {@code DIR/devdb.mv}, and
 * every command is committed before it is answered, so an acknowledged write survives kill -9 of
 * this process (not a power cut: nothing is fsync'ed). H2 locks the file: one engine per data dir.</li>
 * <li>{@code --port 0} (the default) picks a free port. Once listening, exactly one line goes to
 * stdout: {@code DEVDB READY port=N}. Everything else goes to stderr.</li>
 * <li>SIGTERM / SIGINT close the server and the store and exit 0. So does end of file on stdin
 * (the parent died), unless {@code --detached} is given.</li>
 * </ul>
 * <li>After an unclean stop (no {@code devdb.clean} marker), every index is checked against the
 * documents before the engine listens; one that disagrees is rebuilt (a line on stderr says so).</li>
 * Exit codes: 0 clean shutdown, 1 failed to start (or to shut down), 2 bad command line,
 * 4 refused to start: the documents break a unique index (restarting cannot help).
 */
public final class DevDb {

    /** MongoDB 6.0, wire version 17: the mongodb 7.x driver refuses servers below wire 9. */
    private enum Version implements MongoVersion {
        MONGO_6_0(List.of(6, 0, 0), 17);

        private final List<Integer> versionArray;
        private final int wireVersion;

        Version(List<Integer> versionArray, int wireVersion) {
            this.versionArray = versionArray;
            this.wireVersion = wireVersion;
        }

        @Override
        public List<Integer> getVersionArray() {
            return versionArray;
        }

        @Override
        public int getWireVersion() {
            return wireVersion;
        }
    }

    /**
     * H2 backend whose every commit is a consistent point. A write command changes several maps
     * (the documents, then each index) one after the other; a commit taken in between persists it
     * half-applied, and a kill -9 then leaves an index that disagrees with the documents (measured:
     * one kill in five under mixed load, with H2's background auto-commit on and commands of other
     * threads in flight). So: write commands run holding the shared side of a lock, a commit takes
     * the exclusive side (no write in flight, whatever the thread), H2's own background commit is
     * off, and its housekeeping runs here under the same exclusion. Every write command is
     * committed before it is answered; writers that finish together share one commit.
     */
    static final class DurableH2Backend extends H2Backend {
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
        private final MVStore store;

        DurableH2Backend(MVStore store) {
            super(store);
            this.store = store;
        }

        Set<String> databaseNames() {
            return listDatabaseNames();
        }

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            if (READ_COMMANDS.contains(command.toLowerCase(Locale.ROOT))) {
                return BoundedBatches.boundFirstBatch(getCursorRegistry(), command, query,
                    super.handleCommand(channel, database, command, query));
            }
            // Commands that change the catalogue run alone (see DDL_COMMANDS), other writes together.
            Lock held = DDL_COMMANDS.contains(command.toLowerCase(Locale.ROOT)) ? lock.writeLock() : lock.readLock();
            held.lock();
            try {
                return super.handleCommand(channel, database, command, query);
            } finally {
                held.unlock();
                // Also when the command failed half-way (insertMany stopped by a duplicate key):
                // its earlier writes stand, and each of them is whole.
                commit();
            }
        }

        /** A getMore of MongoDB's size (see BoundedBatches), not every document left. */
        @Override
        protected Document handleGetMore(String database, String collection, Document query) {
            return BoundedBatches.boundGetMore(query, q -> super.handleGetMore(database, collection, q));
        }

        @Override
        protected MongoDatabase openOrCreateDatabase(String databaseName) {
            return new KeyedH2Database(databaseName);
        }

        /**
         * H2's database with its unique indexes in {@link SerializedKeyIndex} (no serialization per
         * comparison) and its collections in {@link StoredDocumentCollection} (documents
         * (de)serialized one by one, not a page at a time); the file is the same. An inner class:
         * H2Database's constructor opens the stored collections and indexes through the overrides
         * below before any field of a subclass is set, so the store is reached through the
         * enclosing backend (H2Backend sets it before opening databases).
         */
        private final class KeyedH2Database extends H2Database {
            KeyedH2Database(String databaseName) {
                super(databaseName, getMvStore(), getCursorRegistry());
            }

            @Override
            protected Index<Object> openOrCreateUniqueIndex(String collectionName, String indexName, List<IndexKey> keys,
                                                            boolean sparse) {
                // H2Database's map name for the index (private there), so existing files open as they are.
                String mapName = getFullCollectionNamespace(collectionName) + "._index_" + indexName;
                return new SerializedKeyIndex(getMvStore(), mapName, indexName, keys, sparse);
            }

            @Override
            protected MongoCollection<Object> openOrCreateCollection(String collectionName, CollectionOptions options) {
                // H2Database's map names (DATABASES_PREFIX and META_PREFIX are package-private there).
                String fullName = getFullCollectionNamespace(collectionName);
                MVMap<Object, StoredDocumentCollection.StoredDocument> data = getMvStore().openMap("databases." + fullName,
                    new MVMap.Builder<Object, StoredDocumentCollection.StoredDocument>()
                        .valueType(StoredDocumentCollection.StoredDocumentType.INSTANCE));
                MVMap<String, Object> meta = getMvStore().openMap("meta." + fullName);
                return new StoredDocumentCollection(this, collectionName, options, data, meta, cursorRegistry);
            }
        }

        /** Commits what every finished write command changed; a no-op when another commit did. */
        @Override
        public void commit() {
            lock.writeLock().lock();
            try {
                if (store.hasUnsavedChanges()) {
                    store.commit();
                }
            } finally {
                lock.writeLock().unlock();
            }
        }

        /**
         * What H2's background writer did besides committing: rewrite chunks that are mostly dead
         * so their space is reused (without it, a burst of single writes grows the file by about
         * 45 KB a commit). Under the exclusive lock, so its commits are consistent points too.
         */
        void housekeeping() {
            lock.writeLock().lock();
            try {
                if (!store.isClosed()) {
                    // Chunks with no live page left (past the retention time) become free space...
                    store.getFileStore().dropUnusedChunks();
                    // ...and mostly-dead ones are rewritten so that they do too.
                    store.compact(HOUSEKEEPING_FILL_RATE, HOUSEKEEPING_WRITE_BYTES);
                }
            } finally {
                lock.writeLock().unlock();
            }
        }
    }

    /** The memory backend, with catalogue changes run alone like in the H2 one (see DDL_COMMANDS). */
    private static final class SerializedMemoryBackend extends MemoryBackend {
        private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();

        @Override
        public Document handleCommand(Channel channel, String database, String command, Document query) {
            String name = command.toLowerCase(Locale.ROOT);
            if (READ_COMMANDS.contains(name)) {
                return BoundedBatches.boundFirstBatch(getCursorRegistry(), command, query,
                    super.handleCommand(channel, database, command, query));
            }
            Lock held = DDL_COMMANDS.contains(name) ? lock.writeLock() : lock.readLock();
            held.lock();
            try {
                return super.handleCommand(channel, database, command, query);
            } finally {
                held.unlock();
            }
        }

        /** A getMore of MongoDB's size (see BoundedBatches), not every document left. */
        @Override
        protected Document handleGetMore(String database, String collection, Document query) {
            return BoundedBatches.boundGetMore(query, q -> super.handleGetMore(database, collection, q));
        }
    }

    /**
     * Commands that change the catalogue (collections, indexes) run with no other write in
     * flight. mongo-java-server does not guard them against concurrent writes: an explicit
     * `create` racing an insert that creates the same collection failed with "Document with key
     * 'db.tickets' already existed in system.namespaces" (seen failing a portal's first start under
     * load), and on the memory backend an insert racing a createIndexes failed with "Unknown
     * error: null" (test/integration/db/engine-create-race.test.ts). They are rare: the cost is nil.
     */
    private static final Set<String> DDL_COMMANDS = Set.of("create", "createindexes", "drop", "dropindexes",
        "dropdatabase", "renamecollection", "collmod");

    /** Commands that never write: they run without the lock (long scans must not hold up writes). */
    private static final Set<String> READ_COMMANDS = Set.of("find", "getmore", "count", "aggregate", "distinct",
        "listcollections", "listindexes", "listdatabases", "hello", "ismaster", "ping", "buildinfo", "serverstatus",
        "dbstats", "collstats", "getlasterror", "getparameter", "whatsmyuri", "connectionstatus", "killcursors",
        "endsessions", "getlog", "hostinfo", "features", "getcmdlineopts", "getfreemonitoringstatus");

    /** Chunks less full than this (percent) are rewritten by the housekeeping. */
    private static final int HOUSEKEEPING_FILL_RATE = 60;
    /** Most bytes one housekeeping pass rewrites (it holds writes up while it runs). */
    private static final int HOUSEKEEPING_WRITE_BYTES = 4 * 1024 * 1024;
    private static final long HOUSEKEEPING_EVERY_MS = 1_000;

    /**
     * How long H2 keeps a chunk that no longer holds live data before reusing its space. H2's
     * default, 45 s, lets the file grow by about 45 KB per commit for 45 s: with a commit per
     * command, a burst of single inserts grew it to 1.5 GB (5 s: about 300 MB at most, and
     * compacted at the next start). A reader that walks a map while H2 rewrites it needs the old
     * chunks for as long as it walks, so this stays well above the longest scan expected here
     * (100k small documents: about 1.5 s cold, 0.05 s cached).
     */
    private static final int RETENTION_MS = 5_000;

    /**
     * H2's page cache, in MB. Documents are stored Java-serialized, so a page that drops out of the
     * cache is deserialized again on every scan: with H2's default 16 MB, a full scan of 100k small
     * documents took 1-1.5 s; with 128 MB, 50-70 ms (heap -Xmx512m).
     */
    private static final int CACHE_MB = 128;

    /** At start, a store file above this size whose live data is under half of it is compacted. */
    private static final long COMPACT_MIN_BYTES = 64L * 1024 * 1024;

    private static final String USAGE =
        "usage: java -jar devdb.jar --backend memory|h2 [--data-dir DIR] [--port N] [--host HOST] [--detached]"
            + " [--verify-indexes-always]";

    /** stdin as an interruptible channel: see the stdin watcher and the shutdown hook. */
    private static final FileChannel STDIN = new FileInputStream(FileDescriptor.in).getChannel();

    /** Written after a clean stop, removed at start: its absence means the last run did not stop cleanly. */
    static final String CLEAN_MARKER = "devdb.clean";
    /** --verify-indexes-always: check at every start, not only after an unclean stop. */
    private static boolean alwaysVerify;
    /** Exit code of a start refused because the documents break a unique index: restarting cannot help. */
    static final int EXIT_DATA_BROKEN = 4;
    private static volatile Path cleanMarker;

    private DevDb() {
    }

    /**
     * Every index against the documents; an index that disagrees is rebuilt from them, and a
     * database whose documents break a unique index is refused (exit 4) rather than served.
     */
    private static void verifyIndexes(DurableH2Backend backend) {
        try {
            IndexCheck.Result r = IndexCheck.verifyAndRepair(backend, backend.databaseNames());
            backend.commit();
            for (String name : r.rebuilt()) {
                System.err.println("devdb: repaired after an unclean stop: " + name + " disagreed with its documents; rebuilt");
            }
            System.err.println("devdb: checked " + r.indexes() + " indexes of " + r.collections() + " collections ("
                + r.documents() + " documents) after an unclean stop in " + r.millis() + " ms; " + r.rebuilt().size() + " rebuilt");
        } catch (IndexCheck.Unrepairable e) {
            System.err.println("devdb: refusing to start: " + e.getMessage()
                + ". Remove or fix the duplicate document with a copy of the engine, or restore a backup.");
            System.exit(EXIT_DATA_BROKEN);
        } catch (RuntimeException e) {
            // A fault of the check itself says nothing about the data: it must not keep the database
            // from starting (a restart would fail the same way, for ever).
            System.err.println("devdb: repaired nothing: the index check itself failed (" + e + "); serving unchecked");
        }
    }

    public static void main(String[] args) {
        quietLogging();

        String backendName = null;
        String dataDir = null;
        String host = "127.0.0.1";
        int port = 0;
        boolean detached = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    value = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "--detached" -> detached = true;
                    case "--verify-indexes-always" -> alwaysVerify = true;
                    case "--help", "-h" -> {
                        System.err.println(USAGE);
                        System.exit(0);
                    }
                    case "--backend", "--data-dir", "--port", "--host" -> {
                        if (value == null) {
                            if (i + 1 >= args.length) {
                                throw new IllegalArgumentException(arg + " needs a value");
                            }
                            value = args[++i];
                        }
                        switch (arg) {
                            case "--backend" -> backendName = value;
                            case "--data-dir" -> dataDir = value;
                            case "--host" -> host = value;
                            default -> {
                                try {
                                    port = Integer.parseInt(value);
                                } catch (NumberFormatException e) {
                                    throw new IllegalArgumentException("--port needs a number, not " + value);
                                }
                                if (port < 0 || port > 65535) {
                                    throw new IllegalArgumentException("--port out of range: " + value);
                                }
                            }
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown argument: " + args[i]);
                }
            }
            if (backendName == null) {
                throw new IllegalArgumentException("--backend is required");
            }
            if (!backendName.equals("memory") && !backendName.equals("h2")) {
                throw new IllegalArgumentException("--backend must be memory or h2, not " + backendName);
            }
            if (backendName.equals("h2") && (dataDir == null || dataDir.isBlank())) {
                throw new IllegalArgumentException("--backend h2 needs --data-dir");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("devdb: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }

        MongoBackend backend;
        String description;
        try {
            if (backendName.equals("h2")) {
                Path dir = Path.of(dataDir).toAbsolutePath();
                Files.createDirectories(dir);
                Path file = dir.resolve("devdb.mv");
                MVStore store = openStore(file);
                DurableH2Backend durable = new DurableH2Backend(store);
                // After a clean stop the marker is there and every index is known whole. Otherwise
                // (kill -9, power cut, a crash) every index is checked against the documents first.
                Path marker = dir.resolve(CLEAN_MARKER);
                boolean cleanStop = Files.deleteIfExists(marker);
                if (!cleanStop || alwaysVerify) {
                    verifyIndexes(durable);
                }
                cleanMarker = marker;
                Thread keeper = new Thread(() -> {
                    while (!store.isClosed()) {
                        try {
                            Thread.sleep(HOUSEKEEPING_EVERY_MS);
                            durable.housekeeping();
                        } catch (InterruptedException e) {
                            return;
                        } catch (RuntimeException e) {
                            if (!store.isClosed()) {
                                System.err.println("devdb: housekeeping failed: " + e);
                            }
                        }
                    }
                }, "devdb-housekeeping");
                keeper.setDaemon(true);
                keeper.start();
                backend = durable;
                description = "h2 " + file;
            } else {
                backend = new SerializedMemoryBackend();
                description = "memory";
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("devdb: cannot open the " + backendName + " backend"
                + (dataDir != null ? " in " + dataDir : "") + ": " + e);
            System.exit(1);
            return;
        }
        backend.version(Version.MONGO_6_0);

        MongoServer server = new MongoServer(backend);
        InetSocketAddress address;
        try {
            // One acceptor thread; netty's default worker count (2 per core).
            server.bind(new InetSocketAddress(host, port), 1, 0);
            address = server.getLocalAddress();
        } catch (Exception e) {
            // netty throws java.net.BindException (checked) without declaring it: catch it here,
            // or a held port leaves a JVM that never listens and never exits.
            System.err.println("devdb: cannot listen on " + host + ":" + port + ": " + e);
            try {
                backend.close();
            } catch (RuntimeException closeError) {
                System.err.println("devdb: closing the backend failed too: " + closeError);
            }
            System.exit(1);
            return;
        }

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            int code = 0;
            try {
                server.shutdownNow(); // closes the clients, the event loops, then the backend (and the H2 store)
                if (cleanMarker != null) {
                    Files.writeString(cleanMarker, "stopped cleanly\n");
                }
            } catch (Throwable t) {
                System.err.println("devdb: shutdown failed: " + t);
                code = 1;
            }
            // A thread blocked in a native read makes the JVM's exit wait 300 ms for it; closing the
            // channel wakes it (FileChannel reads are interruptible).
            try {
                STDIN.close();
            } catch (IOException e) {
                // exiting anyway
            }
            System.err.flush();
            System.out.flush();
            // A JVM ended by SIGTERM/SIGINT would exit 143/130; a clean shutdown is 0.
            Runtime.getRuntime().halt(code);
        }, "devdb-shutdown"));

        System.err.println("devdb: " + description + " listening on " + address.getHostString() + ":" + address.getPort()
            + (detached ? " (detached)" : ""));
        System.out.println("DEVDB READY port=" + address.getPort());
        System.out.flush();

        if (!detached) {
            Thread watcher = new Thread(() -> {
                ByteBuffer buffer = ByteBuffer.allocate(512);
                try {
                    while (STDIN.read(buffer) >= 0) {
                        buffer.clear(); // discard; only end of file matters
                    }
                } catch (AsynchronousCloseException e) {
                    return; // the shutdown hook closed it: already shutting down
                } catch (IOException e) {
                    // treated as end of file
                }
                System.err.println("devdb: stdin closed (parent gone), shutting down");
                System.exit(0);
            }, "devdb-stdin-watch");
            watcher.setDaemon(true);
            watcher.start();
        }
    }

    /**
     * Opens DIR/devdb.mv, without H2's background writer: DurableH2Backend commits and keeps house
     * itself, at consistent points only. A file left bloated by a burst of writes is compacted first (MVStoreTool writes the live data to
     * a new file and renames it over the old one, so a crash during it loses nothing).
     */
    private static MVStore openStore(Path file) throws IOException {
        MVStore store = openStoreOnce(file);
        long size = Files.size(file);
        if (size >= COMPACT_MIN_BYTES) {
            int livePercent = store.getFillRate() * store.getFileStore().getChunksFillRate() / 100;
            if (livePercent < 50) {
                store.close();
                long started = System.nanoTime();
                MVStoreTool.compact(file.toString(), false);
                System.err.println("devdb: compacted " + file.getFileName() + " from " + (size >> 20) + " MB to "
                    + (Files.size(file) >> 20) + " MB in " + (System.nanoTime() - started) / 1_000_000 + " ms");
                store = openStoreOnce(file);
            }
        }
        return store;
    }

    private static MVStore openStoreOnce(Path file) {
        // No background auto-commit: commits happen only at consistent points (DurableH2Backend).
        MVStore store = new MVStore.Builder().fileName(file.toString()).cacheSize(CACHE_MB).autoCommitDisabled().open();
        store.setRetentionTime(RETENTION_MS);
        return store;
    }

    /**
     * slf4j-simple at warn level on stderr, unless the caller set its own -D properties. The logger
     * that reports every failed command (a duplicate key included) with a 30-line stack trace is
     * off: the client gets each of those errors in its reply anyway.
     */
    private static void quietLogging() {
        setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        setDefault("org.slf4j.simpleLogger.log.de.bwaldvogel.mongo.wire.MongoWireProtocolHandler", "off");
        setDefault("org.slf4j.simpleLogger.logFile", "System.err");
        setDefault("org.slf4j.simpleLogger.showDateTime", "true");
        setDefault("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSZ");
        setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
    }

    private static void setDefault(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }
}
