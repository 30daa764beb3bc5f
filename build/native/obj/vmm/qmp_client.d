build/native/obj/vmm/qmp_client.o: vmm/qmp_client.c vmm/json_stream.h \
 vmm/compiler.h vmm/json_util.h vmm/log.h vmm/qmp_client.h \
 vmm/qmp_socket.h
vmm/json_stream.h:
vmm/compiler.h:
vmm/json_util.h:
vmm/log.h:
vmm/qmp_client.h:
vmm/qmp_socket.h:
