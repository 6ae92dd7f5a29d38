package desk.devdb;

import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import de.bwaldvogel.mongo.MongoCollection;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Index;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.h2.H2Backend;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * For tests of the start-up index check only: damages a stopped engine's data the way an
 * interrupted write could, and removes the clean-stop marker as a crash would.
 *
 * <pre>
 * java -cp devdb.jar desk.devdb.BreakIndex DIR DATABASE COLLECTION INDEX drop-entry|duplicate
 * </pre>
 * {@code drop-entry} removes the index entry of the collection's first document;
 * {@code duplicate} stores a copy of that document under a new _id without touching the indexes,
 * so the unique index cannot be rebuilt.
 */
public final class BreakIndex {
    private BreakIndex() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: BreakIndex DIR DATABASE COLLECTION INDEX drop-entry|duplicate");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        MVStore store = new MVStore.Builder().fileName(dir.resolve("devdb.mv").toString()).autoCommitDisabled().open();
        // The engine's own backend: its collections store documents in its own format (BSON).
        H2Backend backend = new DevDb.DurableH2Backend(store);
        MongoCollection<Object> collection = IndexCheck.collectionsOf(backend.resolveDatabase(args[1])).stream()
            .filter(c -> c.getCollectionName().equals(args[2])).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no collection " + args[2]));
        Index<Object> index = collection.getIndexes().stream().filter(i -> i.getName().equals(args[3])).findFirst()
            .orElseThrow(() -> new IllegalArgumentException("no index " + args[3]));
        DocumentWithPosition<Object> first;
        try (var docs = IndexCheck.documentsOf((H2Collection) collection)) {
            first = docs.findFirst().orElseThrow(() -> new IllegalArgumentException("empty collection"));
        }
        if (args[4].equals("drop-entry")) {
            for (KeyValue key : index.getKeyValues(first.getDocument())) {
                if (index instanceof SerializedKeyIndex keyed) {
                    keyed.removeDocument(key);
                } else {
                    IndexCheck.mapOf(index).remove(key);
                }
            }
        } else if (args[4].equals("duplicate")) {
            Field f = H2Collection.class.getDeclaredField("dataMap");
            f.setAccessible(true);
            @SuppressWarnings("unchecked")
            MVMap<Object, StoredDocumentCollection.StoredDocument> data =
                (MVMap<Object, StoredDocumentCollection.StoredDocument>) f.get(collection);
            Document copy = new Document(first.getDocument());
            ObjectId id = new ObjectId();
            copy.put("_id", id);
            data.put(id, new StoredDocumentCollection.StoredDocument(copy));
        } else {
            throw new IllegalArgumentException("unknown damage " + args[4]);
        }
        store.commit();
        store.close();
        Files.deleteIfExists(dir.resolve(DevDb.CLEAN_MARKER));
        System.out.println("broken");
    }
}
