package desk.devdb;

import java.nio.ByteBuffer;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.stream.Stream;

import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.MongoDatabase;
import de.bwaldvogel.mongo.backend.Assert;
import de.bwaldvogel.mongo.backend.CollectionOptions;
import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.DocumentWithPosition;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.backend.QueryResult;
import de.bwaldvogel.mongo.backend.Utils;
import de.bwaldvogel.mongo.backend.ValueComparator;
import de.bwaldvogel.mongo.backend.h2.H2Collection;
import de.bwaldvogel.mongo.bson.Document;

/**
 * mongo-java-server's H2 collection, whose documents are (de)serialized one by one instead of a
 * page at a time. H2 stores a collection in an MVMap whose values H2's ObjectDataType writes with
 * Java serialization; MVStore writes whole pages (some 30 documents of 1.5 KB) and, after a
 * commit, drops the pages it wrote from memory. With a commit per write command, a command that
 * touched a page read it back and deserialized all its documents, then the next commit serialized
 * all of them again: for an update of one document, the (de)serialization of about thirty (JFR
 * under bench:engine: half of the engine's time on H2 once the index lookups were fixed).
 *
 * <p>Here each value is a {@link StoredDocument}: the document's bytes as read from the file,
 * deserialized only when the document is asked for, and written back as the same bytes when it
 * was not changed. The bytes on disk are exactly ObjectDataType's (tag 19, the length, the Java
 * serialization), so the file is the same for either collection class. Everything else is
 * H2Collection's (this extends it, so the start-up index check reaches it the same way), over
 * {@link #data} instead of its private map, which it is handed but never touches (every method
 * that reads it is overridden here).
 */
final class StoredDocumentCollection extends H2Collection {

    private final MVMap<Object, StoredDocument> data;

    @SuppressWarnings({"unchecked", "rawtypes"})
    StoredDocumentCollection(MongoDatabase database, String collectionName, CollectionOptions options,
                             MVMap<Object, StoredDocument> data, MVMap<String, Object> metaMap,
                             CursorRegistry cursorRegistry) {
        super(database, collectionName, options, (MVMap) data, metaMap, cursorRegistry);
        if (!(data.getValueType() instanceof StoredDocumentType)) {
            // The map was opened before with H2's default types (MVStore hands out the open map).
            throw new IllegalStateException("the map of " + collectionName + " was opened without StoredDocumentType");
        }
        this.data = data;
    }

    @Override
    protected Object addDocumentInternal(Document document) {
        Object key = getIdField() != null ? Utils.getSubdocumentValue(document, getIdField()) : UUID.randomUUID();
        StoredDocument previous = data.put(Missing.ofNullable(key), new StoredDocument(document));
        Assert.isNull(previous, () -> "Document with key '" + key + "' already existed in " + this + ": " + previous);
        return key;
    }

    @Override
    public int count() {
        return data.size();
    }

    @Override
    public boolean isEmpty() {
        return data.isEmpty();
    }

    @Override
    protected Document getDocument(Object position) {
        StoredDocument stored = data.get(position);
        return stored == null ? null : stored.document();
    }

    @Override
    protected void removeDocument(Object position) {
        if (data.remove(position) == null) {
            throw new NoSuchElementException("No document with key " + position);
        }
    }

    @Override
    protected Stream<DocumentWithPosition<Object>> streamAllDocumentsWithPosition() {
        return data.entrySet().stream().map(entry -> new DocumentWithPosition<>(entry.getValue().document(), entry.getKey()));
    }

    @Override
    protected QueryResult matchDocuments(Document query, Document orderBy, int numberToSkip, int limit, int batchSize,
                                         Document fieldSelector) {
        final Stream<Document> documentStream;
        if (isNaturalDescending(orderBy)) {
            documentStream = streamAllDocumentsWithPosition()
                .sorted((o1, o2) -> ValueComparator.desc().compare(o1.getPosition(), o2.getPosition()))
                .map(DocumentWithPosition::getDocument);
        } else {
            documentStream = data.values().stream().map(StoredDocument::document);
        }
        return matchDocumentsFromStream(documentStream, query, orderBy, numberToSkip, limit, batchSize, fieldSelector);
    }

    @Override
    protected void handleUpdate(Object position, Document oldDocument, Document newDocument) {
        data.put(Missing.ofNullable(position), new StoredDocument(newDocument));
    }

    /**
     * One stored document: its bytes (as read from the file) or the document (once asked for, or
     * when written by a command), never both, so that a page in H2's cache holds what it held
     * before (the documents its readers used) or less (bytes). Synchronized: readers run beside
     * each other and beside a commit, which only reads (writes are held off while it runs).
     */
    static final class StoredDocument {
        private byte[] bytes;
        private Document document;

        StoredDocument(Document document) {
            this.document = document;
        }

        private StoredDocument(byte[] bytes) {
            this.bytes = bytes;
        }

        synchronized Document document() {
            if (document == null) {
                document = (Document) ObjectDataType.deserialize(bytes);
                bytes = null;
            }
            return document;
        }

        /** ObjectDataType's serialization of the document, kept from the file when it was not asked for. */
        synchronized byte[] bytes() {
            return bytes != null ? bytes : ObjectDataType.serialize(document);
        }

        synchronized int memory() {
            // ObjectDataType's estimate: twice the serialized size (its running average of it).
            return bytes != null ? 2 * bytes.length : StoredDocumentType.INSTANCE.averageMemory;
        }

        @Override
        public String toString() {
            return String.valueOf(document());
        }
    }

    /** The values' data type: ObjectDataType's format for a serialized object (tag 19, var int length, bytes). */
    static final class StoredDocumentType extends BasicDataType<StoredDocument> {
        static final StoredDocumentType INSTANCE = new StoredDocumentType();
        /** ObjectDataType.TYPE_SERIALIZED_OBJECT (package-private there). */
        private static final byte TYPE_SERIALIZED_OBJECT = 19;

        /** Twice the documents' serialized size, a running average as ObjectDataType keeps it. */
        private volatile int averageMemory = 2 * 1024;

        @Override
        public int getMemory(StoredDocument value) {
            return value.memory();
        }

        @Override
        public void write(WriteBuffer buff, StoredDocument value) {
            byte[] bytes = value.bytes();
            averageMemory = (int) ((2L * bytes.length + 15L * averageMemory) / 16);
            buff.put(TYPE_SERIALIZED_OBJECT).putVarInt(bytes.length).put(bytes);
        }

        @Override
        public StoredDocument read(ByteBuffer buff) {
            byte tag = buff.get();
            if (tag != TYPE_SERIALIZED_OBJECT) {
                throw new IllegalStateException("a document of H2 type " + tag + ", not a serialized Document");
            }
            byte[] bytes = new byte[DataUtils.readVarInt(buff)];
            buff.get(bytes);
            return new StoredDocument(bytes);
        }

        @Override
        public StoredDocument[] createStorage(int size) {
            return new StoredDocument[size];
        }
    }
}
