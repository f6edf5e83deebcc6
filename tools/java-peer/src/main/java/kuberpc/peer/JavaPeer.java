// java-peer: a grpc-java client of the greeter configured only by a gRPC service config file,
// as a Java service calling a kuberpc service would be. It makes two calls without a deadline
// of its own and prints what it saw; the Rust test counts the attempts on the server.
//
// usage: java-peer <service-config.json> <host:port> <retried-name> <slow-name>
// Prints "retried <code> after <ms> ms; slow <code> after <ms> ms"; the Rust test judges.
//
// With PEER_TLS_DIR set it speaks mutual TLS as a Java service in a kuberpc system would: the
// certificate cert-manager's Secret holds (tls.crt, tls.key in that directory), the server's
// checked against its ca.crt for the name PEER_SERVER_NAME (default: the target's host).
//
// Before the two calls it makes one it does not report, named "warm-up" (see main).
//
// No generated code: protoc-gen-grpc-java is not at hand, so SayHello's MethodDescriptor is
// built here, its messages DynamicMessages of descriptors built at run time.
package kuberpc.peer;

import com.google.gson.Gson;
import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.DynamicMessage;
import io.grpc.CallOptions;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

public final class JavaPeer {
  private JavaPeer() {}

  /** greeter.v1's HelloRequest and HelloReply: each one string field numbered 1. */
  private static final FileDescriptor MESSAGES = messages();

  private static final Descriptor HELLO_REQUEST = MESSAGES.findMessageTypeByName("HelloRequest");

  private static final MethodDescriptor<DynamicMessage, DynamicMessage> SAY_HELLO =
      MethodDescriptor.<DynamicMessage, DynamicMessage>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName("greeter.v1.Greeter", "SayHello"))
          .setRequestMarshaller(ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(HELLO_REQUEST)))
          .setResponseMarshaller(
              ProtoUtils.marshaller(DynamicMessage.getDefaultInstance(MESSAGES.findMessageTypeByName("HelloReply"))))
          .build();

  private static FileDescriptor messages() {
    FileDescriptorProto.Builder file =
        FileDescriptorProto.newBuilder().setName("greeter/v1/messages.proto").setPackage("greeter.v1").setSyntax("proto3");
    for (String[] message : new String[][] {{"HelloRequest", "name"}, {"HelloReply", "message"}}) {
      file.addMessageType(
          DescriptorProto.newBuilder()
              .setName(message[0])
              .addField(
                  FieldDescriptorProto.newBuilder()
                      .setName(message[1])
                      .setNumber(1)
                      .setType(FieldDescriptorProto.Type.TYPE_STRING)
                      .setLabel(FieldDescriptorProto.Label.LABEL_OPTIONAL)));
    }
    try {
      return FileDescriptor.buildFrom(file.build(), new FileDescriptor[0]);
    } catch (DescriptorValidationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One call: how it ended (a status code name) and how long it took, in ms. */
  private static String[] timed(ManagedChannel channel, String name) {
    DynamicMessage request =
        DynamicMessage.newBuilder(HELLO_REQUEST).setField(HELLO_REQUEST.findFieldByName("name"), name).build();
    long started = System.nanoTime();
    String code;
    try {
      ClientCalls.blockingUnaryCall(channel, SAY_HELLO, CallOptions.DEFAULT, request);
      code = "OK";
    } catch (RuntimeException e) {
      code = Status.fromThrowable(e).getCode().name();
    }
    return new String[] {code, Long.toString(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))};
  }

  /** Plaintext, or mutual TLS with the certificate in PEER_TLS_DIR. */
  private static ChannelCredentials credentials() throws IOException {
    String dir = System.getenv("PEER_TLS_DIR");
    if (dir == null || dir.isEmpty()) {
      return InsecureChannelCredentials.create();
    }
    return TlsChannelCredentials.newBuilder()
        .keyManager(new File(dir, "tls.crt"), new File(dir, "tls.key"))
        .trustManager(new File(dir, "ca.crt"))
        .build();
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: java-peer <service-config.json> <host:port> <retried-name> <slow-name>");
      System.exit(2);
    }
    String json = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
    // Gson reads numbers as Double, lists as List and objects as Map: what grpc-java expects.
    @SuppressWarnings("unchecked")
    Map<String, ?> config = new Gson().fromJson(json, Map.class);
    ManagedChannelBuilder<?> builder =
        Grpc.newChannelBuilder("dns:///" + args[1], credentials()).defaultServiceConfig(config).enableRetry();
    String name = System.getenv("PEER_SERVER_NAME");
    if (System.getenv("PEER_TLS_DIR") != null && name != null && !name.isEmpty()) {
      builder.overrideAuthority(name);
    }
    ManagedChannel channel = builder.build();
    try {
      // A JVM's first call loads and links the whole call path: 300-440 ms here, most of
      // SayHello's 500. One call first, not reported (its name is neither retried nor slow),
      // so that the two calls show the policy as a Java service that has been running sees it.
      timed(channel, "warm-up");
      String[] retried = timed(channel, args[2]);
      String[] slow = timed(channel, args[3]);
      System.out.printf(
          "retried %s after %s ms; slow %s after %s ms%n", retried[0], retried[1], slow[0], slow[1]);
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
