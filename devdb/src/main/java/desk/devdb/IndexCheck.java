package desk.devdb;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.h2.mvstore.MVMap;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractMongoDatabase;
import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.backend.h2.H2UniqueIndex;
import de.bwaldvogel.mongo.bson.Document;

/**
 * Checks, before the engine serves anything, that every index of every collection agrees with
 * the documents: each document is found under each of its keys, and no index holds an entry more
 * than its documents account for. An index that disagrees is rebuilt from the documents; if the
 * documents themselves break a unique index (two of them with one key), the engine refuses to
 * start with a message naming the collection, the index and the key. mongo-java-server keeps
 * these parts protected or private, so they are reached by reflection (its version is pinned in
 * the pom).
 */
final class IndexCheck {

    /** What the check found and did, for one line on stderr. */
    record Result(int collections, long documents, int indexes, List<String> rebuilt, long millis) {
    }

    /** A unique index whose documents hold one key twice: nothing to rebuild it from. */
    static final class Unrepairable extends RuntimeException {
        Unrepairable(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private IndexCheck() {
    }

    static Result verifyAndRepair(H2Backend backend, Set<String> databaseNames) {
        long started = System.nanoTime();
        int collections = 0;
        int indexes = 0;
        long documents = 0;
        List<String> rebuilt = new ArrayList<>();
        for (String dbName : databaseNames) {
            MongoDatabase database = backend.resolveDatabase(dbName);
            for (MongoCollection<Object> collection : collectionsOf(database)) {
                if (!(collection instanceof H2Collection h2)) {
                    continue;
                }
                collections++;
                // Only unique indexes are stored (the engine ignores the others: EmptyIndex).
                List<SerializedKeyIndex> all = collection.getIndexes().stream()
                    .filter(i -> i instanceof SerializedKeyIndex).map(i -> (SerializedKeyIndex) i).toList();
                indexes += all.size();
                Tally[] tallies = new Tally[all.size()];
                for (int i = 0; i < tallies.length; i++) {
                    tallies[i] = new Tally(all.get(i));
                }
                // One streaming pass over the documents checks every index (documents are not held).
                try (Stream<DocumentWithPosition<Object>> docs = documentsOf(h2)) {
                    for (DocumentWithPosition<Object> d : (Iterable<DocumentWithPosition<Object>>) docs::iterator) {
                        documents++;
                        for (Tally t : tallies) {
                            t.see(d);
                        }
                    }
                }
                for (Tally t : tallies) {
                    String problem = t.problem();
                    if (problem == null) {
                        continue;
                    }
                    String name = dbName + "." + collection.getCollectionName() + " index " + t.index.getName();
                    rebuild(t.index, collection, h2, name);
                    rebuilt.add(name + " (" + problem + ")");
                }
            }
        }
        return new Result(collections, documents, indexes, rebuilt, (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * One index's agreement with the documents. The documents' keys are gathered in a hash map in
     * the one pass over the documents, then the index is walked once in its own order: two
     * sequential scans instead of a B-tree lookup per key (measured on 100 000 documents with three
     * unique indexes: 24 s with lookups on a busy machine).
     */
    private static final class Tally {
        final SerializedKeyIndex index;
        final Map<KeyValue, Object> expected = new HashMap<>();
        long conflicting;

        Tally(SerializedKeyIndex index) {
            this.index = index;
        }

        void see(DocumentWithPosition<Object> d) {
            Document doc = d.getDocument();
            if (sparseWithoutValue(index, doc)) {
                return;
            }
            for (KeyValue key : index.getKeyValues(doc)) {
                // Two documents under one key: the index cannot agree with both.
                if (expected.put(key, d.getPosition()) != null) {
                    conflicting++;
                }
            }
        }

        /** Null when the index agrees with the documents; otherwise what is wrong, in a few words. */
        String problem() {
            long found = 0;
            long misplaced = 0;
            long stale = 0;
            for (Map.Entry<KeyValue, Object> e : index.entries()) {
                Object want = expected.get(e.getKey());
                if (want == null) {
                    stale++;
                } else if (want.equals(e.getValue())) {
                    found++;
                } else {
                    misplaced++;
                }
            }
            long missing = expected.size() - found - misplaced;
            expected.clear();
            if (missing == 0 && misplaced == 0 && stale == 0 && conflicting == 0) {
                return null;
            }
            return missing + " missing, " + misplaced + " pointing elsewhere, " + stale + " too many";
        }
    }

    private static void rebuild(SerializedKeyIndex index, MongoCollection<Object> collection, H2Collection h2, String name) {
        index.clear();
        try (Stream<DocumentWithPosition<Object>> docs = documentsOf(h2)) {
            for (DocumentWithPosition<Object> d : (Iterable<DocumentWithPosition<Object>>) docs::iterator) {
                Document doc = d.getDocument();
                if (sparseWithoutValue(index, doc)) {
                    continue;
                }
                try {
                    index.add(doc, d.getPosition(), collection);
                } catch (RuntimeException e) {
                    throw new Unrepairable(name + " cannot be rebuilt: its documents break it (" + e.getMessage()
                        + "); document _id " + d.getPosition(), e);
                }
            }
        }
    }

    // --- reflection into mongo-java-server 1.47 -------------------------------------------------

    private static final Field COLLECTIONS;
    private static final Method STREAM_DOCUMENTS;
    private static final Method SPARSE_WITHOUT_VALUE;
    private static final Field INDEX_MAP;

    static {
        try {
            COLLECTIONS = AbstractMongoDatabase.class.getDeclaredField("collections");
            COLLECTIONS.setAccessible(true);
            STREAM_DOCUMENTS = H2Collection.class.getDeclaredMethod("streamAllDocumentsWithPosition");
            STREAM_DOCUMENTS.setAccessible(true);
            SPARSE_WITHOUT_VALUE = AbstractUniqueIndex.class.getDeclaredMethod("isSparseAndHasNoValueForKeys", Document.class);
            SPARSE_WITHOUT_VALUE.setAccessible(true);
            INDEX_MAP = H2UniqueIndex.class.getDeclaredField("mvMap");
            INDEX_MAP.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError("mongo-java-server changed: " + e);
        }
    }

    @SuppressWarnings("unchecked")
    static List<MongoCollection<Object>> collectionsOf(MongoDatabase database) {
        try {
            return new ArrayList<>(((Map<String, MongoCollection<Object>>) COLLECTIONS.get(database)).values());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    static Stream<DocumentWithPosition<Object>> documentsOf(H2Collection collection) {
        try {
            return (Stream<DocumentWithPosition<Object>>) STREAM_DOCUMENTS.invoke(collection);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    static boolean sparseWithoutValue(Index<Object> index, Document doc) {
        try {
            return (Boolean) SPARSE_WITHOUT_VALUE.invoke(index, doc);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The map of mongo-java-server's own H2 index (BreakIndex opens the store with a plain H2Backend). */
    @SuppressWarnings("unchecked")
    static MVMap<KeyValue, Object> mapOf(Index<Object> index) {
        try {
            return (MVMap<KeyValue, Object>) INDEX_MAP.get(index);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
