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
import de.bwaldvogel.mongo.wire.bson.BsonDecoder;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

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
 * was not changed. A document written is stored as BSON under a tag of its own; one written by an
 * engine of before (ObjectDataType's tag 19, the length, the Java serialization) is read as it is
 * and stays so until it changes, so a data dir of before opens unchanged (an engine of before
 * cannot read a document written now: no downgrade). Everything else is
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
     * One stored document: its bytes (as read from the file, in either format) or the document
     * (once asked for, or when written by a command), never both, so that a page in H2's cache
     * holds what it held before (the documents its readers used) or less (bytes). Synchronized:
     * readers run beside each other and beside a commit, which only reads (writes are held off
     * while it runs).
     */
    static final class StoredDocument {
        private byte[] bytes;
        /** The format of {@link #bytes}: {@link StoredDocumentType#TYPE_BSON} or Java serialization. */
        private byte tag;
        private Document document;

        StoredDocument(Document document) {
            this.document = document;
        }

        private StoredDocument(byte tag, byte[] bytes) {
            this.tag = tag;
            this.bytes = bytes;
        }

        synchronized Document document() {
            if (document == null) {
                document = tag == StoredDocumentType.TYPE_BSON
                    ? BsonDecoder.decodeBson(Unpooled.wrappedBuffer(bytes))
                    : (Document) ObjectDataType.deserialize(bytes);
                bytes = null;
            }
            return document;
        }

        /**
         * The document's bytes in the file, written with {@code put}: those read from the file
         * when it was not asked for (either format); else BSON, or Java serialization for a
         * document holding a value BSON has no type for (none arrives over the wire, but a value
         * the engine made itself could).
         */
        synchronized void writeTo(WriteBuffer buff) {
            if (bytes != null) {
                put(buff, tag, bytes);
                return;
            }
            ByteBuf encoded = Unpooled.buffer(StoredDocumentType.INSTANCE.averageMemory / 2);
            try {
                BsonEncoder.encodeDocument(document, encoded);
                byte[] bson = new byte[encoded.readableBytes()];
                encoded.readBytes(bson);
                put(buff, StoredDocumentType.TYPE_BSON, bson);
            } catch (RuntimeException notBson) {
                put(buff, StoredDocumentType.TYPE_SERIALIZED_OBJECT, ObjectDataType.serialize(document));
            } finally {
                encoded.release();
            }
        }

        private static void put(WriteBuffer buff, byte tag, byte[] bytes) {
            StoredDocumentType.INSTANCE.averageMemory =
                (int) ((2L * bytes.length + 15L * StoredDocumentType.INSTANCE.averageMemory) / 16);
            buff.put(tag).putVarInt(bytes.length).put(bytes);
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

    /**
     * The values' data type: a tag, a var int length, the bytes. Documents are written as BSON
     * (mongo-java-server's own wire codec: every type a document holds), read as BSON or, for a
     * data dir written before, as ObjectDataType wrote them (its tag 19 and Java serialization).
     * Java serialization was most of the engine's time reading a collection: about 1 ms of CPU a
     * 30-field document, so a cursor over 100 000 records read for minutes (bench:keying on H2).
     */
    static final class StoredDocumentType extends BasicDataType<StoredDocument> {
        static final StoredDocumentType INSTANCE = new StoredDocumentType();
        /** ObjectDataType.TYPE_SERIALIZED_OBJECT (package-private there). */
        static final byte TYPE_SERIALIZED_OBJECT = 19;
        /** A BSON document: a tag ObjectDataType never writes (its tags are 0 to 127). */
        static final byte TYPE_BSON = (byte) 0xB5;

        /** Twice the documents' stored size, a running average as ObjectDataType keeps it. */
        private volatile int averageMemory = 2 * 1024;

        @Override
        public int getMemory(StoredDocument value) {
            return value.memory();
        }

        @Override
        public void write(WriteBuffer buff, StoredDocument value) {
            value.writeTo(buff);
        }

        @Override
        public StoredDocument read(ByteBuffer buff) {
            byte tag = buff.get();
            if (tag != TYPE_SERIALIZED_OBJECT && tag != TYPE_BSON) {
                throw new IllegalStateException("a document of H2 type " + tag + ", neither BSON nor a serialized Document");
            }
            byte[] bytes = new byte[DataUtils.readVarInt(buff)];
            buff.get(bytes);
            return new StoredDocument(tag, bytes);
        }

        @Override
        public StoredDocument[] createStorage(int size) {
            return new StoredDocument[size];
        }
    }
}
