build/native/obj/vmm/json_stream.o: vmm/json_stream.c vmm/json_stream.h \
 vmm/compiler.h
vmm/json_stream.h:
vmm/compiler.h:
