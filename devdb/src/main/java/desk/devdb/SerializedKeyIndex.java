package desk.devdb;

import java.nio.ByteBuffer;
import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;
import org.h2.mvstore.type.ObjectDataType;

import de.bwaldvogel.mongo.backend.AbstractUniqueIndex;
import de.bwaldvogel.mongo.backend.IndexKey;
import de.bwaldvogel.mongo.backend.KeyValue;
import de.bwaldvogel.mongo.backend.Missing;
import de.bwaldvogel.mongo.bson.ObjectId;

/**
 * mongo-java-server's H2 unique index ({@code H2UniqueIndex}), minus its cost per lookup. That
 * one keeps its keys ({@link KeyValue}, which is not {@link Comparable}) in an MVMap with H2's
 * default {@link ObjectDataType}, which orders such objects by their Java serialization: every
 * comparison of the B-tree's binary search serialized BOTH keys again (an ObjectOutputStream each),
 * some 30 comparisons per lookup and two or three lookups per index per document written. That was
 * more than half the engine's time under a stream of inserts and updates (JFR, bench:engine).
 *
 * <p>Here each key carries its serialized bytes ({@link Key}): the key looked up is serialized
 * once, the stored ones are kept as read from the file (and deserialized only when an entry's
 * KeyValue is asked for). The order and the bytes on disk are exactly H2's: the same type tag,
 * length and Java serialization as {@code ObjectDataType} writes, compared with its own
 * {@link ObjectDataType#compareNotNull}; a file written by either index is read by the other.
 * H2 does not store a map's key type in the file, so nothing else changes.
 */
final class SerializedKeyIndex extends AbstractUniqueIndex<Object> {

    private final MVMap<Key, Object> map;

    /**
     * The serialization of the last few single-value keys, by value: one document's key is looked
     * up two or three times in a row (the duplicate check, the insert's own check, the put; the
     * update's query and its position), and serializing it is most of a lookup's cost now. Only
     * for values whose equal instances serialize to equal bytes (a key of several values could
     * hold one instance twice, which Java serialization writes as a back-reference).
     */
    private final Map<Object, byte[]> recent = new LinkedHashMap<>(32, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Object, byte[]> eldest) {
            return size() > RECENT_KEYS;
        }
    };
    private static final int RECENT_KEYS = 16;

    /** The index's map in {@code store}, named {@code mapName} (H2Database's name for it). */
    SerializedKeyIndex(MVStore store, String mapName, String name, List<IndexKey> keys, boolean sparse) {
        super(name, keys, sparse);
        this.map = store.openMap(mapName, new MVMap.Builder<Key, Object>().keyType(KeyType.INSTANCE));
    }

    @Override
    protected Object removeDocument(KeyValue keyValue) {
        return map.remove(key(keyValue));
    }

    @Override
    protected boolean putKeyPosition(KeyValue keyValue, Object position) {
        return map.putIfAbsent(key(keyValue), Missing.ofNullable(position)) == null;
    }

    @Override
    protected Iterable<Entry<KeyValue, Object>> getIterable() {
        return entries();
    }

    @Override
    protected Object getPosition(KeyValue keyValue) {
        return map.get(key(keyValue));
    }

    /** The map's key for {@code keyValue}: its serialization, from {@link #recent} when it is there. */
    private Key key(KeyValue keyValue) {
        if (keyValue.size() != 1 || !serializesByValue(keyValue.get(0))) {
            return new Key(keyValue);
        }
        Object value = keyValue.get(0);
        synchronized (recent) {
            byte[] bytes = recent.get(value);
            if (bytes != null) {
                return new Key(keyValue, bytes);
            }
        }
        Key key = new Key(keyValue);
        synchronized (recent) {
            recent.put(value, key.bytes);
        }
        return key;
    }

    /** Values of which two equal ones (equals) have the same Java serialization. */
    private static boolean serializesByValue(Object value) {
        return value == null || value instanceof String || value instanceof ObjectId || value instanceof Double
            || value instanceof Long || value instanceof Integer || value instanceof Boolean;
    }

    @Override
    public long getCount() {
        return map.sizeAsLong();
    }

    @Override
    public boolean isEmpty() {
        return map.isEmpty();
    }

    @Override
    public long getDataSize() {
        return getCount();
    }

    /** Every entry, in the index's order: key and the document's position (its _id). */
    Iterable<Entry<KeyValue, Object>> entries() {
        return () -> new Iterator<>() {
            private final Iterator<Entry<Key, Object>> inner = map.entrySet().iterator();

            @Override
            public boolean hasNext() {
                return inner.hasNext();
            }

            @Override
            public Entry<KeyValue, Object> next() {
                Entry<Key, Object> e = inner.next();
                return new SimpleImmutableEntry<>(e.getKey().value(), e.getValue());
            }
        };
    }

    /** Removes every entry (the start-up check rebuilds an index that disagrees with its documents). */
    void clear() {
        map.clear();
    }

    /** A KeyValue with its Java serialization: what H2 compares and stores. */
    static final class Key {
        final byte[] bytes;
        private volatile KeyValue value;

        Key(KeyValue value) {
            this(value, ObjectDataType.serialize(value));
        }

        Key(KeyValue value, byte[] bytes) {
            this.value = value;
            this.bytes = bytes;
        }

        private Key(byte[] bytes) {
            this.bytes = bytes;
        }

        KeyValue value() {
            KeyValue v = value;
            if (v == null) {
                v = (KeyValue) ObjectDataType.deserialize(bytes);
                value = v;
            }
            return v;
        }

        @Override
        public String toString() {
            return String.valueOf(value());
        }
    }

    /**
     * The keys' data type: {@code ObjectDataType}'s format for a serialized object (tag 19, the
     * length as a var int, the bytes) and its order (the bytes compared by compareNotNull).
     */
    static final class KeyType extends BasicDataType<Key> {
        static final KeyType INSTANCE = new KeyType();
        /** ObjectDataType.TYPE_SERIALIZED_OBJECT (package-private there). */
        private static final byte TYPE_SERIALIZED_OBJECT = 19;

        @Override
        public int compare(Key a, Key b) {
            return a == b ? 0 : ObjectDataType.compareNotNull(a.bytes, b.bytes);
        }

        /** As ObjectDataType estimates a serialized object: twice its bytes. */
        @Override
        public int getMemory(Key key) {
            return 2 * key.bytes.length;
        }

        @Override
        public void write(WriteBuffer buff, Key key) {
            buff.put(TYPE_SERIALIZED_OBJECT).putVarInt(key.bytes.length).put(key.bytes);
        }

        @Override
        public Key read(ByteBuffer buff) {
            byte tag = buff.get();
            if (tag != TYPE_SERIALIZED_OBJECT) {
                throw new IllegalStateException("an index key of H2 type " + tag + ", not a serialized KeyValue");
            }
            byte[] bytes = new byte[org.h2.mvstore.DataUtils.readVarInt(buff)];
            buff.get(bytes);
            return new Key(bytes);
        }

        @Override
        public Key[] createStorage(int size) {
            return new Key[size];
        }
    }
}
