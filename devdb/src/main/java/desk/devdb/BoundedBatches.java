package desk.devdb;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

import de.bwaldvogel.mongo.backend.CursorRegistry;
import de.bwaldvogel.mongo.backend.InMemoryCursor;
import de.bwaldvogel.mongo.bson.Document;
import de.bwaldvogel.mongo.wire.bson.BsonEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Cursor batches the size MongoDB gives them. mongo-java-server answers a {@code find} or an
 * {@code aggregate} without a batchSize with every matching document in its first batch, and a
 * {@code getMore} without one with every document left: the Node driver sends neither by default,
 * so one cursor over 100 000 records of 30 fields became a single reply of about 150 MB. netty
 * could not allocate its buffer under -XX:MaxDirectMemorySize=128m; the encoder's error is not an
 * exception mongo-java-server handles, the reply was never sent and the connection stayed open: the
 * client waited for ever (issue #18's benchmark, at 50 000 sorted and 100 000 unsorted records).
 * Here, like MongoDB: a first batch of 101 documents unless batchSize says otherwise, a getMore
 * of as many as fit in 16 MiB (or batchSize), and never more than 16 MiB in one batch (but at
 * least one document).
 */
final class BoundedBatches {
    /** MongoDB's default first batch. */
    static final int DEFAULT_FIRST_BATCH = 101;
    /** MongoDB's most bytes in one batch (its largest document size). */
    static final int MAX_BATCH_BYTES = 16 * 1024 * 1024;
    /** A getMore takes documents from the cursor this many at a time, measuring as it goes. */
    private static final int TAKE = 101;
    /** The first take, before any document's size is known. */
    private static final int FIRST_TAKE = 1;

    private BoundedBatches() {
    }

    /**
     * A find's or aggregate's reply with its first batch cut to size, the rest left in a cursor
     * registered in {@code registry}; other replies (and single-batch requests) as they are.
     */
    static Document boundFirstBatch(CursorRegistry registry, String command, Document query, Document reply) {
        String name = command.toLowerCase(Locale.ROOT);
        if (!name.equals("find") && !name.equals("aggregate")) {
            return reply;
        }
        if (Boolean.TRUE.equals(query.get("singleBatch")) || reply == null
            || !(reply.get("cursor") instanceof Document cursor)
            || !(cursor.get("firstBatch") instanceof List<?> batch)
            || !(cursor.get("id") instanceof Number id) || id.longValue() != 0) {
            return reply;
        }
        Object options = name.equals("find") ? query : query.get("cursor");
        int wanted = requested(options instanceof Document d ? d : null, DEFAULT_FIRST_BATCH);
        int keep = fitting(batch, wanted);
        if (keep >= batch.size()) {
            return reply;
        }
        List<Document> rest = new ArrayList<>(batch.size() - keep);
        for (Object doc : batch.subList(keep, batch.size())) {
            rest.add((Document) doc);
        }
        InMemoryCursor remaining = new InMemoryCursor(registry.generateCursorId(), rest);
        registry.add(remaining);
        cursor.put("firstBatch", new ArrayList<>(batch.subList(0, keep)));
        cursor.put("id", remaining.getId());
        return reply;
    }

    /**
     * A getMore answered in takes of at most {@link #TAKE} documents from {@code getMore} (the
     * backend's own, given a query with that batchSize), each sized by the documents' average so
     * far, until batchSize documents or 16 MiB.
     */
    static Document boundGetMore(Document query, Function<Document, Document> getMore) {
        int wanted = requested(query, Integer.MAX_VALUE);
        List<Object> merged = new ArrayList<>();
        long bytes = 0;
        ByteBuf buffer = Unpooled.buffer();
        try {
            for (;;) {
                // As many as the documents' average size so far leaves room for (a cursor gives
                // nothing back): the batch ends within about one document of 16 MiB.
                int room = merged.isEmpty() ? FIRST_TAKE
                    : (int) Math.max(1, Math.min(TAKE, (MAX_BATCH_BYTES - bytes) / Math.max(1, bytes / merged.size())));
                Document take = new Document(query);
                take.put("batchSize", Math.min(room, wanted - merged.size()));
                Document reply = getMore.apply(take);
                Document cursor = (Document) reply.get("cursor");
                List<?> batch = (List<?>) cursor.get("nextBatch");
                for (Object doc : batch) {
                    bytes += size(doc, buffer);
                    merged.add(doc);
                }
                long id = ((Number) cursor.get("id")).longValue();
                if (id == 0 || merged.size() >= wanted || bytes >= MAX_BATCH_BYTES || batch.isEmpty()) {
                    cursor.put("nextBatch", merged);
                    return reply;
                }
            }
        } finally {
            buffer.release();
        }
    }

    /** The batchSize asked for in {@code options}, or {@code otherwise} when absent or 0. */
    private static int requested(Document options, int otherwise) {
        if (options != null && options.get("batchSize") instanceof Number n && n.intValue() > 0) {
            return n.intValue();
        }
        return otherwise;
    }

    /** How many of the batch's first documents make a batch: at most wanted, 16 MiB, at least one. */
    private static int fitting(List<?> batch, int wanted) {
        int limit = Math.min(wanted, batch.size());
        long bytes = 0;
        ByteBuf buffer = Unpooled.buffer();
        try {
            for (int i = 0; i < limit; i++) {
                bytes += size(batch.get(i), buffer);
                if (bytes > MAX_BATCH_BYTES && i > 0) {
                    return i;
                }
            }
            return limit;
        } finally {
            buffer.release();
        }
    }

    @SuppressWarnings("unchecked")
    private static int size(Object doc, ByteBuf buffer) {
        buffer.clear();
        BsonEncoder.encodeDocument((java.util.Map<String, ?>) doc, buffer);
        return buffer.writerIndex();
    }
}
