// Loads an NFC provisioning payload the way AOSP ManagedProvisioning's
// PropertiesProvisioningDataParser does: the record's bytes as UTF-8 into
// java.util.Properties, then the PROVISIONING_ADMIN_EXTRAS_BUNDLE property
// loaded as Properties again (deserializeExtrasBundle), every value a String.
// Prints one line a property, sorted: "extra KEY VALUE" or "bundle KEY VALUE",
// KEY and VALUE as hex of their UTF-8 bytes (so no console charset can alter
// them). Run by tests/daemon/provisioning_records_test.cc with the JDK's
// single-file source launcher: java ProvisioningProperties.java PAYLOAD_FILE
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.TreeSet;

public class ProvisioningProperties {
  static final String BUNDLE = "android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE";

  static String hex(String s) {
    StringBuilder out = new StringBuilder();
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) out.append(String.format("%02x", b & 0xff));
    return out.length() == 0 ? "-" : out.toString();
  }

  static void print(String kind, Properties p) {
    for (String key : new TreeSet<>(p.stringPropertyNames()))
      System.out.println(kind + " " + hex(key) + " " + hex(p.getProperty(key)));
  }

  public static void main(String[] args) throws Exception {
    byte[] payload = Files.readAllBytes(Path.of(args[0]));
    Properties props = new Properties();
    props.load(new StringReader(new String(payload, StandardCharsets.UTF_8)));
    print("extra", props);
    String bundle = props.getProperty(BUNDLE);
    if (bundle != null) {
      Properties extras = new Properties();
      extras.load(new StringReader(bundle));
      print("bundle", extras);
    }
  }
}
