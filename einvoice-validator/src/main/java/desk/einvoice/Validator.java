package desk.einvoice;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.xml.XMLConstants;
import javax.xml.parsers.SAXParserFactory;
import javax.xml.transform.sax.SAXSource;
import javax.xml.transform.stream.StreamSource;
import javax.xml.validation.Schema;
import javax.xml.validation.SchemaFactory;
import net.sf.saxon.s9api.Axis;
import net.sf.saxon.s9api.DocumentBuilder;
import net.sf.saxon.s9api.Processor;
import net.sf.saxon.s9api.QName;
import net.sf.saxon.s9api.XdmDestination;
import net.sf.saxon.s9api.XdmNode;
import net.sf.saxon.s9api.XdmNodeKind;
import net.sf.saxon.s9api.XsltExecutable;
import net.sf.saxon.s9api.XsltTransformer;
import org.xml.sax.ErrorHandler;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.SAXParseException;
import org.xml.sax.XMLReader;

/**
 * The e-invoice validator process (server/domain/einvoices/validator-process.ts starts one and
 * keeps it): XSD with the JDK's validator, each schema compiled once; Schematron with Saxon-HE over
 * the official XSLT, each stylesheet compiled once. Requests run in parallel on a small pool.
 *
 * <p>Command line: {@code java -jar einvoice-validator.jar THREADS NAME=FILE...}, where NAME is
 * {@code xsd.KIND} (an XSD, KIND as requests name it) or {@code sch.SET} (a Schematron XSLT). All
 * are compiled once: in the background from the start, or by the first request that needs it.
 *
 * <p>Protocol, binary-safe: stdout first prints {@code VALIDATOR READY}. Each request on stdin is a
 * header line {@code ID KIND SETS LENGTH} (KIND an xsd kind or {@code -}; SETS comma-separated or
 * {@code -}) followed by LENGTH bytes of XML, as the file has them (its declared encoding is
 * honoured). Each reply on stdout is a line {@code ID LENGTH} followed by LENGTH bytes of UTF-8:
 * records separated by a newline, fields by a tab (backslash, tab and newline escaped as
 * {@code \\ \t \n}):
 *
 * <ul>
 *   <li>{@code xsd LINE MESSAGE}: an XSD error (LINE 0 when unknown);
 *   <li>{@code svrl SET ID FLAG LOCATION TEXT}: a failed assert or successful report (FLAG empty for
 *       an assert that has none);
 *   <li>{@code failed ENGINE MESSAGE}: ENGINE ({@code xsd} or a set) could not run on the file.
 * </ul>
 *
 * <p>XML is parsed with DOCTYPEs refused and no external entities, schemas or DTDs loaded.
 */
public final class Validator {
  private static final String SVRL = "http://purl.oclc.org/dsdl/svrl";
  private static final int MAX_XSD_ERRORS = 500;

  private final Processor saxon = new Processor(false);
  private final Map<String, Lazy<Schema>> schemas = new LinkedHashMap<>();
  private final Map<String, Lazy<XsltExecutable>> stylesheets = new LinkedHashMap<>();

  /** Compiled once, by whichever thread needs it first; a failure is kept and thrown to each. */
  private static final class Lazy<T> {
    private final Supplier<T> supplier;
    private T value;
    private RuntimeException error;

    Lazy(Supplier<T> supplier) {
      this.supplier = supplier;
    }

    synchronized T get() {
      if (value == null && error == null) {
        try {
          value = supplier.get();
        } catch (RuntimeException e) {
          error = e;
        }
      }
      if (error != null) throw error;
      return value;
    }
  }
  private final OutputStream out;

  private static final ThreadLocal<SAXParserFactory> PARSERS =
      ThreadLocal.withInitial(
          () -> {
            try {
              SAXParserFactory f = SAXParserFactory.newInstance();
              f.setNamespaceAware(true);
              f.setXIncludeAware(false);
              f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
              f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
              f.setFeature("http://xml.org/sax/features/external-general-entities", false);
              f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
              f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
              return f;
            } catch (Exception e) {
              throw new IllegalStateException(e);
            }
          });

  private Validator(OutputStream out) {
    this.out = out;
  }

  private static XMLReader secureReader() throws Exception {
    return PARSERS.get().newSAXParser().getXMLReader();
  }

  private static SAXSource source(XMLReader reader, byte[] xml) {
    return new SAXSource(reader, new InputSource(new ByteArrayInputStream(xml)));
  }

  private static Schema compileSchema(String file) {
    try {
      SchemaFactory f = SchemaFactory.newInstance(XMLConstants.W3C_XML_SCHEMA_NS_URI);
      f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      // The schema's own imports and includes are files beside it; nothing else is fetched.
      f.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "file");
      f.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      return f.newSchema(new File(file));
    } catch (SAXException e) {
      throw new IllegalStateException("schema " + file + ": " + e.getMessage(), e);
    }
  }

  private XsltExecutable compileXslt(String file) {
    try {
      return saxon.newXsltCompiler().compile(new StreamSource(new File(file)));
    } catch (Exception e) {
      throw new IllegalStateException("stylesheet " + file + ": " + e.getMessage(), e);
    }
  }

  private static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 8);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\') b.append("\\\\");
      else if (c == '\t') b.append("\\t");
      else if (c == '\n') b.append("\\n");
      else if (c == '\r') b.append(' ');
      else b.append(c);
    }
    return b.toString();
  }

  private static void record(StringBuilder b, String... fields) {
    if (b.length() > 0) b.append('\n');
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) b.append('\t');
      b.append(esc(fields[i] == null ? "" : fields[i]));
    }
  }

  private static String messageOf(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) t = t.getCause();
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  /** Stops the parse after too many errors. */
  private static final class Enough extends SAXException {
    Enough() {
      super("too many errors");
    }
  }

  private void validateXsd(String kind, byte[] xml, StringBuilder reply) {
    Lazy<Schema> schema = schemas.get(kind);
    if (schema == null) {
      record(reply, "failed", "xsd", "no schema " + kind);
      return;
    }
    List<SAXParseException> errors = new ArrayList<>();
    try {
      javax.xml.validation.Validator v = schema.get().newValidator();
      v.setProperty(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
      v.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
      v.setErrorHandler(
          new ErrorHandler() {
            @Override
            public void warning(SAXParseException e) {}

            @Override
            public void error(SAXParseException e) throws SAXException {
              errors.add(e);
              if (errors.size() >= MAX_XSD_ERRORS) throw new Enough();
            }

            @Override
            public void fatalError(SAXParseException e) throws SAXException {
              errors.add(e);
              throw e;
            }
          });
      v.validate(source(secureReader(), xml));
    } catch (Enough | SAXParseException e) {
      // recorded by the handler
    } catch (Throwable e) {
      record(reply, "failed", "xsd", messageOf(e));
    }
    for (SAXParseException e : errors)
      record(reply, "xsd", String.valueOf(Math.max(0, e.getLineNumber())), e.getMessage());
  }

  private static void svrlItems(String set, XdmNode node, StringBuilder reply) {
    for (XdmNode child : node.children()) {
      if (child.getNodeKind() != XdmNodeKind.ELEMENT) continue;
      QName name = child.getNodeName();
      boolean failed = SVRL.equals(name.getNamespace()) && "failed-assert".equals(name.getLocalName());
      boolean report = SVRL.equals(name.getNamespace()) && "successful-report".equals(name.getLocalName());
      if (!failed && !report) {
        svrlItems(set, child, reply);
        continue;
      }
      String text = "";
      for (XdmNode t : child.children()) {
        if (t.getNodeKind() == XdmNodeKind.ELEMENT
            && SVRL.equals(t.getNodeName().getNamespace())
            && "text".equals(t.getNodeName().getLocalName())) {
          text = t.getStringValue().replaceAll("\\s+", " ").trim();
          break;
        }
      }
      String id = child.getAttributeValue(new QName("id"));
      String flag = child.getAttributeValue(new QName("flag"));
      String location = child.getAttributeValue(new QName("location"));
      record(
          reply,
          "svrl",
          set,
          id == null ? "" : id,
          flag != null ? flag : failed ? "" : "information",
          location == null ? "" : location,
          text);
    }
  }

  private void runSchematron(List<String> sets, byte[] xml, StringBuilder reply) {
    if (sets.isEmpty()) return;
    XdmNode doc;
    try {
      DocumentBuilder builder = saxon.newDocumentBuilder();
      builder.setLineNumbering(false);
      doc = builder.build(source(secureReader(), xml));
    } catch (Throwable e) {
      for (String set : sets) record(reply, "failed", set, messageOf(e));
      return;
    }
    for (String set : sets) {
      Lazy<XsltExecutable> exec = stylesheets.get(set);
      if (exec == null) {
        record(reply, "failed", set, "no rule set " + set);
        continue;
      }
      try {
        XsltTransformer t = exec.get().load();
        t.setInitialContextNode(doc);
        XdmDestination dest = new XdmDestination();
        t.setDestination(dest);
        t.transform();
        svrlItems(set, dest.getXdmNode(), reply);
      } catch (Throwable e) {
        record(reply, "failed", set, messageOf(e));
      }
    }
  }

  private void handle(String id, String kind, List<String> sets, byte[] xml) {
    StringBuilder reply = new StringBuilder();
    if (!"-".equals(kind)) validateXsd(kind, xml, reply);
    runSchematron(sets, xml, reply);
    byte[] payload = reply.toString().getBytes(StandardCharsets.UTF_8);
    byte[] header = (id + " " + payload.length + "\n").getBytes(StandardCharsets.US_ASCII);
    synchronized (out) {
      try {
        out.write(header);
        out.write(payload);
        out.flush();
      } catch (IOException e) {
        System.exit(0); // the portal went away
      }
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    for (int c = in.read(); c != '\n'; c = in.read()) {
      if (c < 0) {
        if (line.size() == 0) return null;
        throw new EOFException();
      }
      line.write(c);
    }
    return line.toString(StandardCharsets.US_ASCII);
  }

  public static void main(String[] args) throws Exception {
    int threads = Math.max(1, Integer.parseInt(args[0]));
    OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
    Validator validator = new Validator(out);
    for (int i = 1; i < args.length; i++) {
      int eq = args[i].indexOf('=');
      String name = args[i].substring(0, eq);
      String file = args[i].substring(eq + 1);
      if (name.startsWith("xsd.")) validator.schemas.put(name.substring(4), new Lazy<>(() -> compileSchema(file)));
      else if (name.startsWith("sch."))
        validator.stylesheets.put(name.substring(4), new Lazy<>(() -> validator.compileXslt(file)));
    }
    // Everything is compiled once in the background, in the order given; a request that needs
    // something first compiles it itself (or waits for the background's compile of it).
    List<Lazy<?>> all = new ArrayList<>(validator.schemas.values());
    all.addAll(validator.stylesheets.values());
    Thread warm =
        new Thread(
            () -> {
              for (Lazy<?> lazy : all) {
                try {
                  lazy.get();
                } catch (RuntimeException e) {
                  System.err.println("einvoice-validator: " + messageOf(e));
                }
              }
            },
            "compile");
    warm.setDaemon(true);
    warm.setPriority(Thread.MIN_PRIORITY);
    warm.start();
    synchronized (out) {
      out.write("VALIDATOR READY\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    DataInputStream in = new DataInputStream(new BufferedInputStream(System.in, 1 << 16));
    for (String line = readLine(in); line != null; line = readLine(in)) {
      String[] h = line.trim().split(" ");
      if (h.length != 4) throw new IOException("bad request header: " + line);
      byte[] xml = new byte[Integer.parseInt(h[3])];
      in.readFully(xml);
      String id = h[0];
      String kind = h[1];
      List<String> sets = "-".equals(h[2]) ? List.of() : List.of(h[2].split(","));
      pool.execute(() -> validator.handle(id, kind, sets, xml));
    }
    // stdin closed: the portal stopped; finish nothing more.
    System.exit(0);
  }
}
